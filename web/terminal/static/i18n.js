// Catalogues, the language switch and locale formatting. Every visible string comes from i18n/<code>.json;
// numbers and times go through Intl for the chosen locale, while prices keep their instrument's decimals.

export const LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'zh-CN', name: '简体中文' },
  { code: 'hi', name: 'हिन्दी' },
  { code: 'es', name: 'Español' },
  { code: 'ar', name: 'العربية', rtl: true },
];
const STORAGE_KEY = 'dt.language';

let language = 'en';
let catalogue = {};
let english = {};
const listeners = new Set();
const formatters = new Map();

export function currentLanguage() { return language; }

export function isRtl() { return LANGUAGES.find((l) => l.code === language)?.rtl === true; }

async function load(code) {
  const answer = await fetch(`/i18n/${code}.json`, { credentials: 'same-origin' });
  if (!answer.ok) throw new Error(`catalogue ${code}: HTTP ${answer.status}`);
  return answer.json();
}

function preferred() {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (LANGUAGES.some((l) => l.code === saved)) return saved;
  for (const wanted of navigator.languages || []) {
    const hit = LANGUAGES.find((l) => l.code.toLowerCase() === wanted.toLowerCase())
      || LANGUAGES.find((l) => l.code.split('-')[0] === wanted.split('-')[0].toLowerCase());
    if (hit) return hit.code;
  }
  return 'en';
}

export async function initLanguage() {
  english = await load('en');
  await setLanguage(preferred());
}

export async function setLanguage(code) {
  if (!LANGUAGES.some((l) => l.code === code)) code = 'en';
  catalogue = code === 'en' ? english : await load(code);
  language = code;
  formatters.clear();
  localStorage.setItem(STORAGE_KEY, code);
  const root = document.documentElement;
  root.lang = code;
  root.dir = isRtl() ? 'rtl' : 'ltr';
  translate(document);
  for (const select of document.querySelectorAll('.language-select')) select.value = code;
  for (const listener of listeners) listener(code);
}

/** Call ``listener`` after every language change; returns the function that stops it. */
export function onLanguage(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The string for ``key`` with {name} placeholders filled; English if the catalogue lacks it, the key at worst. */
export function t(key, params) {
  let text = catalogue[key] ?? english[key];
  if (text === undefined) {
    console.warn('i18n: missing key', key);
    text = key;
  }
  if (params) text = text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
  return text;
}

const ATTRIBUTES = ['title', 'placeholder', 'aria-label'];

/** Fill every element under ``root`` marked with data-i18n (text) or data-i18n-<attribute>. */
export function translate(root) {
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const attribute of ATTRIBUTES) {
    for (const element of root.querySelectorAll(`[data-i18n-${attribute}]`)) {
      element.setAttribute(attribute, t(element.getAttribute(`data-i18n-${attribute}`)));
    }
  }
}

export function fillLanguageSelect(select) {
  select.replaceChildren(...LANGUAGES.map((l) => {
    const option = document.createElement('option');
    option.value = l.code;
    option.textContent = l.name;   // each language named in itself, so anyone can find their own
    option.lang = l.code;
    return option;
  }));
  select.value = language;
}

// ------------------------------------------------------------------ formatting

function cached(key, make) {
  let formatter = formatters.get(key);
  if (!formatter) formatters.set(key, (formatter = make()));
  return formatter;
}

/** Decimals of a step such as "0.00001" (5) or "100" (0). */
export function decimalsOf(step) {
  const text = String(step ?? '');
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.replace(/0+$/, '').length - dot - 1;
}

/** A decimal string (or number) for the locale with exactly ``decimals`` fraction digits; "" for null. */
export function formatNumber(value, decimals, options = {}) {
  if (value === null || value === undefined || value === '') return '';
  const formatter = cached(`n:${decimals}:${options.signed ? 1 : 0}`, () => new Intl.NumberFormat(language, {
    minimumFractionDigits: decimals, maximumFractionDigits: decimals,
    signDisplay: options.signed ? 'exceptZero' : 'auto',
  }));
  return formatter.format(typeof value === 'string' ? value : Number(value));   // strings keep every digit
}

export function formatPercent(value) {
  if (value === null || value === undefined) return '—';
  return cached('pct', () => new Intl.NumberFormat(language, { maximumFractionDigits: 2 })).format(value) + ' %';
}

export function formatTime(iso) {
  if (!iso) return '';
  const when = iso instanceof Date ? iso : new Date(iso);
  return cached('time', () => new Intl.DateTimeFormat(language, {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  })).format(when);
}

/** Chart tick labels: lightweight-charts' TickMarkType 0 year, 1 month, 2 day, 3 time, 4 time with seconds. */
export function formatTick(seconds, kind) {
  const options = [
    { year: 'numeric' }, { month: 'short' }, { day: 'numeric', month: 'short' },
    { hour: '2-digit', minute: '2-digit' }, { hour: '2-digit', minute: '2-digit', second: '2-digit' },
  ][kind] || { hour: '2-digit', minute: '2-digit' };
  return cached(`tick:${kind}`, () => new Intl.DateTimeFormat(language, options)).format(new Date(seconds * 1000));
}

/** What a trader types, in any script's digits and either decimal mark, as a plain decimal string. */
export function parseDecimal(text) {
  let s = String(text ?? '').trim();
  s = s.replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660))      // Arabic-Indic
    .replace(/[\u06f0-\u06f9]/g, (d) => String(d.charCodeAt(0) - 0x06f0))          // Eastern Arabic-Indic
    .replace(/[\u0966-\u096f]/g, (d) => String(d.charCodeAt(0) - 0x0966))          // Devanagari
    .replace(/[\u066b]/g, '.').replace(/[\u066c\s\u00a0\u202f]/g, '');
  const mark = new Intl.NumberFormat(language).formatToParts(1.5).find((p) => p.type === 'decimal')?.value;
  if (mark === ',' && s.includes(',')) s = s.replace(/\./g, '').replace(',', '.');   // "1.234,5" in Spanish
  else s = s.replace(/,/g, '');
  return /^\d+(\.\d+)?$|^\.\d+$/.test(s) ? s : null;
}

/** A refusal for people: the code translated when the catalogue knows it, with the server's own sentence (the API
 *  sends reasons in English): an order's reject_code and reject_reason, or an error's code and reason. */
export function refusal(code, reason) {
  const sentence = reason || '';
  const known = code ? (catalogue[`reject.${code}`] ?? english[`reject.${code}`]) : undefined;
  return known ? t('reject.with_detail', { what: known, detail: sentence }) : sentence || code || '';
}
