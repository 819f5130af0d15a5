// Answers for people: a list of records as a searchable table, a record as a list of its fields, a link as a
// link, a time in UTC. The columns come from the schema when there is one, else from the rows themselves.

import { el } from '/shared/dom.js';
import { formatTime, t } from '/shared/i18n.js';
import { choice, named } from './i18n.js';
import { resolve, typeOf } from './openapi.js';

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?$/;
const LINK = /^(https?:\/\/\S+|\/[\w-]+\/\S+)$/;   // a URL, or a path of this site such as /t/acme

/** Columns for rows: the schema's properties (one level of nested records flattened as "parent.child"). */
export function columnsFor(schema, rows) {
  const s = resolve(schema);
  const columns = [];
  const shownApart = (key) => key === 'before' || key === 'after';   // the row's diff shows them
  if (s.properties) {
    for (const [key, child] of Object.entries(s.properties)) {
      if (shownApart(key)) continue;
      const { type, schema: c } = typeOf(child);   // a nullable record ({oneOf: [record, null]}) too
      if (type === 'object' && c?.properties) {
        for (const inner of Object.keys(c.properties)) columns.push(`${key}.${inner}`);
      } else columns.push(key);
    }
    return columns;
  }
  for (const row of rows) {
    for (const [key, value] of Object.entries(row || {})) {
      if (shownApart(key)) continue;
      const nested = value && typeof value === 'object' && !Array.isArray(value);
      for (const name of nested ? Object.keys(value).map((inner) => `${key}.${inner}`) : [key]) {
        if (!columns.includes(name)) columns.push(name);
      }
    }
  }
  return columns;
}

function pick(row, column) {
  return column.split('.').reduce((value, key) => (value === null || value === undefined ? value : value[key]), row);
}

/** The schema of ``column`` ("last_run.status") within a row's schema. */
function schemaAt(schema, column) {
  return column.split('.').reduce((s, key) => typeOf(s?.properties?.[key] ?? {}).schema, schema);
}

/** One value as a node: one of its schema's choices translated, a time in UTC, a link, a yes/no, a list joined, a
 *  per-currency amount, records as a small table. */
function cell(value, schema = null) {
  if (value === null || value === undefined || value === '') return el('span', { class: 'muted' }, '—');
  if (schema?.enum?.includes(value)) return el('span', { 'data-choice': value }, choice(value));
  if (typeof value === 'boolean') return el('span', { 'data-i18n': value ? 'value.yes' : 'value.no' }, t(value ? 'value.yes' : 'value.no'));
  if (typeof value === 'number') return el('bdi', { class: 'num', dir: 'ltr' }, String(value));
  if (typeof value === 'string') {
    if (TIME.test(value)) return el('time', { datetime: value, dir: 'ltr' }, formatTime(value, { utc: true }));
    if (LINK.test(value)) {
      return el('a', { href: value, dir: 'ltr', class: 'link' }, value);
    }
    return el('bdi', {}, value);
  }
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')) return el('bdi', {}, value.join(', '));
  if (Array.isArray(value) && value.every((v) => v && typeof v === 'object' && !Array.isArray(v))) return inner(value);
  if (!Array.isArray(value) && Object.values(value).every((v) => v === null || typeof v !== 'object')) {
    const pairs = Object.entries(value);   // a per-currency amount and the like: "USD 12.50 · EUR 3.10"
    return pairs.length ? el('bdi', { dir: 'ltr' }, pairs.map(([key, v]) => `${key} ${v ?? '—'}`).join(' · '))
      : el('span', { class: 'muted' }, '—');
  }
  return el('code', { dir: 'ltr' }, JSON.stringify(value));
}

/** Records inside a cell (a client's accounts): a small table of their own, without a search. */
function inner(rows) {
  const columns = columnsFor(null, rows);
  return el('table', { class: 'data inner' },
    el('thead', {}, el('tr', {}, columns.map((column) => el('th', { scope: 'col', dataset: { column } },
      named('field', column.split('.').at(-1)))))),
    el('tbody', {}, rows.map((row) => el('tr', {}, columns.map((column) => el('td', { dataset: { column } },
      cell(pick(row, column))))))));
}

/**
 * A table of ``rows`` with a search box (class "search": "/" focuses it) that filters on every cell's text.
 * ``actions(row)`` gives each row's buttons; ``detail(row)`` a node shown under the row when it is opened;
 * ``key(row)`` its data-key (the row's id).
 */
export function dataTable({ rows, schema, actions = null, detail = null, caption = null, key = null }) {
  const columns = columnsFor(schema, rows);
  const schemas = columns.map((column) => schemaAt(resolve(schema), column));
  const search = el('input', { type: 'search', class: 'search', 'data-i18n-placeholder': 'table.search',
    placeholder: t('table.search'), 'aria-label': t('table.search'), dir: 'auto' });
  const head = el('tr', {}, columns.map((column) => el('th', { scope: 'col', dataset: { column } },
    named('field', column.split('.').at(-1)))), actions || detail ? el('th', { scope: 'col', class: 'actions' }) : null);
  const body = el('tbody');
  const count = el('span', { class: 'muted count', role: 'status' });
  const width = columns.length + (actions || detail ? 1 : 0);

  function paint() {
    const wanted = search.value.trim().toLowerCase();
    const shown = rows.filter((row) => !wanted || JSON.stringify(row).toLowerCase().includes(wanted));
    body.replaceChildren(...(shown.length ? shown.flatMap((row) => line(row)) : [el('tr', { class: 'empty' },
      el('td', { colspan: width }, t(rows.length ? 'table.no_match' : 'table.empty')))]));
    count.textContent = t('table.count', { shown: shown.length, total: rows.length });
  }

  function line(row) {
    const tr = el('tr', { class: 'row', dataset: key ? { key: key(row) } : {} }, columns.map((column, i) =>
      el('td', { dataset: { column } }, cell(pick(row, column), schemas[i]))));
    const buttons = actions ? actions(row) : [];
    let more = null;
    if (detail) {
      const open = el('button', { type: 'button', class: 'detail-toggle', 'aria-expanded': 'false',
        'data-i18n': 'table.details' }, t('table.details'));
      open.addEventListener('click', () => {
        const opened = open.getAttribute('aria-expanded') === 'true';
        open.setAttribute('aria-expanded', String(!opened));
        if (opened) more?.remove();
        else {
          more = el('tr', { class: 'detail' }, el('td', { colspan: width }, detail(row)));
          tr.after(more);
        }
      });
      buttons.unshift(open);
    }
    if (actions || detail) tr.append(el('td', { class: 'actions' }, buttons));
    return [tr];
  }

  search.addEventListener('input', paint);
  paint();
  return el('div', { class: 'table-box' }, el('div', { class: 'toolbar' }, search, count),
    el('div', { class: 'scroll' }, el('table', { class: 'data' }, caption ? el('caption', {}, caption) : null,
      el('thead', {}, head), body)));
}

/** Any answer: records as tables, a record as its fields (summaries first, then its lists), a value as itself. */
export function renderValue(value, schema = null) {
  const s = resolve(schema);
  if (Array.isArray(value)) {
    if (value.every((v) => v && typeof v === 'object' && !Array.isArray(v)) && (value.length || s.items)) {
      return dataTable({ rows: value, schema: s.items ? resolve(s.items) : null, detail: diffOf(value) });
    }
    return cell(value);
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    if (!entries.length) return el('span', { class: 'muted' }, '—');
    const records = (key, v) => Array.isArray(v) && (v.some((x) => x && typeof x === 'object')
      || typeOf(resolve(s.properties?.[key]).items).type === 'object');
    const simple = entries.filter(([key, v]) => !records(key, v));
    const lists = entries.filter((entry) => !simple.includes(entry));
    return el('div', { class: 'record' },
      simple.length ? el('dl', { class: 'summary' }, simple.map(([key, v]) => el('div', { class: 'summary-row', dataset: { field: key } },
        el('dt', {}, named('field', key)),
        el('dd', {}, v && typeof v === 'object' && !Array.isArray(v) ? renderValue(v, s.properties?.[key])
          : cell(v, typeOf(s.properties?.[key] ?? {}).schema))))) : null,
      lists.map(([key, v]) => el('section', { class: 'list', dataset: { field: key } }, el('h3', {}, named('field', key)),
        renderValue(v, s.properties?.[key]))));
  }
  return cell(value);
}

/** Rows that carry a before and an after (the audit log) open to a diff of the two. */
export function diffOf(rows) {
  if (!rows.some((row) => row && ('before' in row || 'after' in row))) return null;
  return (row) => diff(row.before, row.after);
}

function diff(before, after) {
  const flat = (value, prefix = '', out = {}) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) flat(inner, prefix ? `${prefix}.${key}` : key, out);
    } else if (prefix) out[prefix] = value;
    return out;
  };
  const was = flat(before);
  const now = flat(after);
  const keys = [...new Set([...Object.keys(was), ...Object.keys(now)])];
  const show = (value) => (value === undefined ? el('span', { class: 'muted' }, '—') : cell(value));
  return el('table', { class: 'data diff' },
    el('thead', {}, el('tr', {}, ['diff.field', 'diff.before', 'diff.after'].map((key) =>
      el('th', { scope: 'col', 'data-i18n': key }, t(key))))),
    el('tbody', {}, keys.length ? keys.map((key) => el('tr', {
      class: JSON.stringify(was[key]) === JSON.stringify(now[key]) ? 'same' : 'changed', dataset: { field: key } },
    el('td', {}, key), el('td', { class: 'before' }, show(was[key])), el('td', { class: 'after' }, show(now[key]))))
      : [el('tr', { class: 'empty' }, el('td', { colspan: 3, 'data-i18n': 'diff.nothing' }, t('diff.nothing')))]));
}

/** An IB's totals: per currency, what is pending and what was paid (the earnings' two per-currency maps). */
export function totals(pending, paid) {
  const currencies = [...new Set([...Object.keys(pending || {}), ...Object.keys(paid || {})])].sort();
  return el('table', { class: 'data totals' },
    el('thead', {}, el('tr', {}, ['field.currency', 'field.pending', 'field.paid'].map((key) =>
      el('th', { scope: 'col', 'data-i18n': key }, t(key))))),
    el('tbody', {}, currencies.length ? currencies.map((currency) => el('tr', { dataset: { currency } },
      el('td', {}, currency), el('td', { class: 'pending' }, cell(pending?.[currency] ?? '0')),
      el('td', { class: 'paid' }, cell(paid?.[currency] ?? '0'))))
      : [el('tr', { class: 'empty' }, el('td', { colspan: 3, 'data-i18n': 'table.empty' }, t('table.empty')))]));
}
