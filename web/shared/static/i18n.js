// Catalogues, the language switch and locale formatting, for both front ends. Every visible string comes from the
// front end's own catalogues, <folder>/<code>.json (initLanguage names the folder); numbers and times go through
// Intl for the chosen locale, while prices keep their instrument's decimals.

export const LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'zh-CN', name: '简体中文' },
  { code: 'hi', name: 'हिन्दी' },
  { code: 'es', name: 'Español' },
  { code: 'ar', name: 'العربية', rtl: true },
];
const STORAGE_KEY = 'dt.language';   // one key for both front ends: one choice per browser

let folder = '/i18n';
let offered = LANGUAGES;   // those the front end has catalogues for
let language = 'en';
let catalogue = {};
let english = {};
const listeners = new Set();
const translators = [];
const formatters = new Map();

export function currentLanguage() { return language; }

export function isRtl() { return LANGUAGES.find((l) => l.code === language)?.rtl === true; }

/** The language this browser chose before (in either front end), or null. */
export function savedLanguage() { return localStorage.getItem(STORAGE_KEY); }

async function load(code) {
  const answer = await fetch(`${folder}/${code}.json`, { credentials: 'same-origin' });
  if (!answer.ok) throw new Error(`catalogue ${code}: HTTP ${answer.status}`);
  return answer.json();
}

function preferred() {
  const saved = savedLanguage();
  if (offered.some((l) => l.code === saved)) return saved;
  for (const wanted of navigator.languages || []) {
    const hit = offered.find((l) => l.code.toLowerCase() === wanted.toLowerCase())
      || offered.find((l) => l.code.split('-')[0] === wanted.split('-')[0].toLowerCase());
    if (hit) return hit.code;
  }
  return 'en';
}

/** Read the catalogues from ``catalogues`` (the front end's i18n folder, e.g. '/admin/i18n') and switch to the
 *  visitor's language among ``languages`` (codes from LANGUAGES: those the folder has a catalogue for). */
export async function initLanguage(catalogues, languages = LANGUAGES.map((l) => l.code)) {
  folder = catalogues;
  offered = LANGUAGES.filter((l) => languages.includes(l.code));
  english = await load('en');
  await setLanguage(preferred());
}

export async function setLanguage(code) {
  if (!offered.some((l) => l.code === code)) code = 'en';
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

/** The catalogue's entry for ``key`` (English if the language lacks it), or undefined: for keys built at run time. */
export function entry(key) { return catalogue[key] ?? english[key]; }

/** The string for ``key`` with {name} placeholders filled; English if the catalogue lacks it, the key at worst. */
export function t(key, params) {
  let text = entry(key);
  if (text === undefined) {
    console.warn('i18n: missing key', key);
    text = key;
  }
  if (params) text = text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
  return text;
}

const ATTRIBUTES = ['title', 'placeholder', 'aria-label'];

/** Fill every element under ``root`` marked with data-i18n (text) or data-i18n-<attribute>, and whatever the
 *  front end's own translators (alsoTranslate) fill. */
export function translate(root) {
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const attribute of ATTRIBUTES) {
    for (const element of root.querySelectorAll(`[data-i18n-${attribute}]`)) {
      element.setAttribute(attribute, t(element.getAttribute(`data-i18n-${attribute}`)));
    }
  }
  for (const translator of translators) translator(root);
}

/** Let translate() also run ``translator(root)``: for marks of a front end's own (the panel's data-named). */
export function alsoTranslate(translator) { translators.push(translator); }

/** Fill every .language-select with the languages offered; choosing one switches to it. */
export function offerLanguages() {
  for (const select of document.querySelectorAll('.language-select')) {
    select.replaceChildren(...offered.map((l) => {
      const option = document.createElement('option');
      option.value = l.code;
      option.textContent = l.name;   // each language named in itself, so anyone can find their own
      option.lang = l.code;
      return option;
    }));
    select.value = language;
    select.addEventListener('change', () => setLanguage(select.value));
  }
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

/** A time (an ISO string or a Date) for the locale, in the visitor's zone or with ``utc`` in UTC, the zone named;
 *  text that is no time comes back as it is. */
export function formatTime(iso, { utc = false } = {}) {
  if (!iso) return '';
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return String(iso);
  return cached(`time:${utc ? 'utc' : 'local'}`, () => new Intl.DateTimeFormat(language, {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    ...(utc ? { timeZone: 'UTC', timeZoneName: 'short' } : {}),
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

/** What someone types, in any script's digits and either decimal mark, as a plain decimal string; else null.
 *  A leading minus only with ``signed``. */
export function parseDecimal(text, { signed = false } = {}) {
  let s = String(text ?? '').trim();
  s = s.replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660))      // Arabic-Indic
    .replace(/[\u06f0-\u06f9]/g, (d) => String(d.charCodeAt(0) - 0x06f0))          // Eastern Arabic-Indic
    .replace(/[\u0966-\u096f]/g, (d) => String(d.charCodeAt(0) - 0x0966))          // Devanagari
    .replace(/[\u066b]/g, '.').replace(/[\u066c\s\u00a0\u202f]/g, '');
  const mark = new Intl.NumberFormat(language).formatToParts(1.5).find((p) => p.type === 'decimal')?.value;
  if (mark === ',' && s.includes(',')) s = s.replace(/\./g, '').replace(',', '.');   // "1.234,5" in Spanish
  else s = s.replace(/,/g, '');
  const digits = signed && s.startsWith('-') ? s.slice(1) : s;
  return /^(\d+(\.\d+)?|\.\d+)$/.test(digits) ? s : null;
}
