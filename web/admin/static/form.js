// Forms built from the OpenAPI document: one field per property (types, enums, required), nested objects as
// fieldsets, lists as comma-separated text, anything richer as JSON. The server has the last word on every value:
// a field the broker got wrong comes back as the API's {code, reason}, shown in the form.

import { el } from '/shared/dom.js';
import { parseDecimal, t } from '/shared/i18n.js';
import { choice, named } from './i18n.js';
import { resolve, typeOf } from './openapi.js';

const PRIMITIVE = new Set(['string', 'integer', 'number', 'boolean']);

class FieldError extends Error {}

/** A fresh Idempotency-Key: one per form opened, so a retried submit of the same form books once. */
function idempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function same(a, b) { return JSON.stringify(a ?? null) === JSON.stringify(b ?? null); }

function scalar(kind, text, nullable) {
  if (text === '') return nullable ? { set: true, value: null } : { set: false };
  if (kind === 'integer' || kind === 'number') {
    const plain = parseDecimal(text, { signed: true });
    if (plain === null) return { set: true, value: text };   // the server says why it is no number
    return { set: true, value: kind === 'integer' && /^-?\d+$/.test(plain) ? Number.parseInt(plain, 10) : Number(plain) };
  }
  return { set: true, value: text };
}

function display(value) {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value, null, 2) : String(value);
}

/** One input for ``schema`` at ``path`` (["brand", "name"]); returns {element, read} or null for read-only ones. */
function field(schema, path, value, required) {
  const { type, nullable: mayBeNull, schema: s = resolve(schema) } = typeOf(schema);
  if (s.readOnly) return null;
  // an empty field is "not given", except one that had a value: emptied, it is cleared (null) where null is allowed
  const nullable = mayBeNull && value !== undefined && value !== null;
  const name = path.join('.');
  const id = `field-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const title = named('field', path.at(-1));
  const caption = el('span', { class: 'caption' }, title, required ? el('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null);
  const hint = s.description ? el('small', { class: 'muted hint' }, s.description) : null;

  if (type === 'object' && s.properties) {
    const children = Object.entries(s.properties).map(([key, child]) =>
      [key, field(child, [...path, key], value?.[key], (s.required || []).includes(key))]).filter(([, f]) => f);
    const element = el('fieldset', { class: 'group', dataset: { field: name } }, el('legend', {}, title), hint,
      children.map(([, f]) => f.element));
    return { element, read: () => {
      const out = {};
      for (const [key, f] of children) {
        const got = f.read();
        if (got.set) out[key] = got.value;
      }
      return Object.keys(out).length ? { set: true, value: out } : { set: false };
    } };
  }
  let input;
  let read;
  if (s.enum) {
    input = el('select', { id, name }, required && value !== undefined ? null : el('option', { value: '' }, '—'),
      s.enum.filter((v) => v !== null).map((v) => el('option', { value: String(v) }, choice(v))));
    input.value = value === undefined || value === null ? (required ? String(s.enum[0]) : '') : String(value);
    read = () => {
      const picked = s.enum.find((v) => String(v) === input.value);
      return picked === undefined ? (nullable ? { set: true, value: null } : { set: false }) : { set: true, value: picked };
    };
  } else if (type === 'boolean') {
    input = el('input', { id, name, type: 'checkbox' });
    input.checked = value === true || (value === undefined && s.default === true);
    read = () => ({ set: true, value: input.checked });
  } else if (type === 'array' && PRIMITIVE.has(typeOf(s.items).type)) {
    const kind = typeOf(s.items).type;
    input = el('input', { id, name, dir: 'auto', placeholder: t('form.list_hint') });
    input.value = Array.isArray(value) ? value.join(', ') : '';
    read = () => {
      const parts = input.value.split(',').map((part) => part.trim()).filter(Boolean);
      if (!parts.length && !required && value === undefined) return { set: false };
      return { set: true, value: parts.map((part) => scalar(kind, part, false).value) };
    };
  } else if (PRIMITIVE.has(type)) {
    const secret = s.format === 'password' || /password/.test(name);
    input = el('input', { id, name, dir: 'auto', type: secret ? 'password' : 'text',
      inputmode: type === 'integer' || type === 'number' ? 'decimal' : null,
      placeholder: s.format === 'date-time' ? '2026-01-31T17:00:00Z' : s.example ?? null,
      autocomplete: secret ? 'new-password' : 'off' });
    input.value = display(value ?? s.default);
    read = () => scalar(type, input.value.trim(), nullable);
  } else {
    input = el('textarea', { id, name, dir: 'ltr', spellcheck: 'false', placeholder: t('form.json_hint') });
    input.value = display(value);
    input.rows = Math.min(24, Math.max(4, input.value.split('\n').length));
    read = () => {
      const text = input.value.trim();
      if (!text) return nullable ? { set: true, value: null } : { set: false };
      try {
        return { set: true, value: JSON.parse(text) };
      } catch {
        throw new FieldError(t('form.not_json', { field: title }));
      }
    };
  }
  if (required) input.setAttribute('aria-required', 'true');
  const element = el('label', { class: `field ${type === 'boolean' ? 'check' : ''}`.trim(), for: id, dataset: { field: name } },
    caption, input, hint);
  return { element, read };
}

/**
 * The form of one operation: its path and query parameters not given in ``fixed`` (a row's ids), its headers (an
 * Idempotency-Key made once per form, so a retry books once), and its body. ``values`` prefill (the row being
 * edited); with ``changedOnly`` (PATCH) only what was changed is sent, and what the schema requires.
 */
export function operationForm(op, { values = {}, fixed = {}, changedOnly = false } = {}) {
  const parts = [];
  const params = [];
  const headers = {};
  for (const parameter of op.parameters) {
    if (parameter.in === 'header' && /^idempotency-key$/i.test(parameter.name)) {
      headers[parameter.name] = idempotencyKey();
      continue;
    }
    if (parameter.name in fixed) continue;
    if (!['path', 'query', 'header'].includes(parameter.in)) continue;
    const f = field(parameter.schema || { type: 'string' }, [parameter.name], values[parameter.name],
      parameter.required === true);
    if (f) {
      params.push([parameter, f]);
      parts.push(f.element);
    }
  }
  let body = null;
  const schema = op.body ? resolve(op.body) : null;
  const bodyType = schema ? typeOf(schema).type : null;
  if (schema && bodyType === 'object' && schema.properties) {
    body = Object.entries(schema.properties).map(([key, child]) =>
      [key, field(child, [key], values[key], (schema.required || []).includes(key))]).filter(([, f]) => f);
    parts.push(...body.map(([, f]) => f.element));
  } else if (schema) {
    const whole = field({ type: 'object', additionalProperties: true }, ['body'], rowsBody(values, bodyType), true);
    body = whole;
    parts.push(whole.element);
  }
  const element = el('div', { class: 'fields' }, parts);

  function collect() {
    const path = {};
    const query = new URLSearchParams();
    const sent = { ...headers };
    for (const parameter of op.parameters) {
      if (!(parameter.name in fixed)) continue;
      if (parameter.in === 'path') path[parameter.name] = fixed[parameter.name];
      else if (parameter.in === 'query') query.set(parameter.name, String(fixed[parameter.name]));
    }
    for (const [parameter, f] of params) {
      const got = f.read();
      if (!got.set || got.value === null) continue;
      if (parameter.in === 'path') path[parameter.name] = got.value;
      else if (parameter.in === 'query') query.set(parameter.name, String(got.value));
      else sent[parameter.name] = String(got.value);
    }
    let payload;
    if (Array.isArray(body)) {
      payload = {};
      const required = new Set(schema.required || []);
      for (const [key, f] of body) {
        const got = f.read();
        if (got.set && !(changedOnly && !required.has(key) && same(got.value, values[key]))) payload[key] = got.value;
      }
    } else if (body) {
      payload = body.read().value;
    }
    return { path, query, headers: sent, body: payload };
  }
  return { element, collect, idempotent: Object.keys(headers).length > 0 };
}

/** What to prefill a whole-body JSON field with: the rows for a list body (PUT of a whole table), else the record. */
function rowsBody(values, bodyType) {
  if (bodyType === 'array') return Array.isArray(values) ? values : undefined;
  return Object.keys(values || {}).length ? values : undefined;
}

export { FieldError };
