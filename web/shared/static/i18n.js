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
// Scripts a trader's machine may have no font for: a web font from npm, fetched only once its language is chosen
// (each file covers a unicode range, so the browser downloads only the glyphs a page shows).
const FONTS = {
  'zh-CN': '/vendor/@fontsource/noto-sans-sc/index.css',
  hi: '/vendor/@fontsource/noto-sans-devanagari/index.css',
};

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
  loadFont(code);
  translate(document);
  for (const select of document.querySelectorAll('.language-select')) select.value = code;
  for (const listener of listeners) listener(code);
}

function loadFont(code) {
  const href = FONTS[code];
  if (!href || document.querySelector(`link[data-font="${code}"]`)) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = href;
  link.dataset.font = code;
  document.head.append(link);
}

/** Call ``listener`` after every language change; returns the function that stops it. */
export function onLanguage(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The catalogue's entry for ``key`` (English if the language lacks it), or undefined: for keys built at run time. */
export function entry(key) { return catalogue[key] ?? english[key]; }

/** The string for ``key`` with {name} placeholders filled; English if the catalogue lacks it, the key at worst.
 *  A parameter may itself be a message(key, params), translated in the same language. */
export function t(key, params) {
  let text = entry(key);
  if (text === undefined) {
    console.warn('i18n: missing key', key);
    text = key;
  }
  const fill = (value) => (value && typeof value === 'object' && 'key' in value ? t(value.key, value.params)
    : String(value));
  if (params) text = text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? fill(params[name]) : whole));
  return text;
}

/** A sentence kept as its key and parameters, not as text, so that it can be said again in another language. */
export function message(key, params) { return { key, params }; }

const shown = new WeakMap();   // element -> the message it shows

/** Put ``key`` with ``params`` into ``element`` as text, and say it again in each language switched to (a status
 *  line, a refusal: text that stays on screen); ``key`` null empties it. */
export function show(element, key, params) {
  if (key === null) {
    shown.delete(element);
    element.removeAttribute('data-i18n-message');
    element.textContent = '';
    return;
  }
  shown.set(element, message(key, params));
  element.setAttribute('data-i18n-message', key);
  element.textContent = t(key, params);
}

const ATTRIBUTES = ['title', 'placeholder', 'aria-label'];

/** Fill every element under ``root`` marked with data-i18n (text) or data-i18n-<attribute>, and whatever the
 *  front end's own translators (alsoTranslate) fill. */
export function translate(root) {
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll('[data-i18n-message]')) {
    const said = shown.get(element);
    if (said) element.textContent = t(said.key, said.params);
  }
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

/** The minor units of ``currency`` (2 for USD, 0 for JPY), as the API sends its money; 2 for a coin Intl lacks. */
export function currencyDecimals(currency) {
  try {
    return cached(`cur:${currency}`, () => new Intl.NumberFormat('en', { style: 'currency', currency }))
      .resolvedOptions().maximumFractionDigits;
  } catch {
    return 2;
  }
}

export function formatPercent(value) {
  if (value === null || value === undefined) return '—';
  return cached('pct', () => new Intl.NumberFormat(language, { maximumFractionDigits: 2 })).format(value) + ' %';
}

/** The locale dates are written in: the language's own, except that English is written day first with the month
 *  named ("2 Dec 2026", en-GB), which no reader can take for 12 February. */
export function dateLocale() { return language === 'en' ? 'en-GB' : language; }

/** A time (an ISO string or a Date) for the locale, the month named, in the visitor's zone or with ``utc`` in UTC,
 *  the zone named; text that is no time comes back as it is. */
export function formatTime(iso, { utc = false } = {}) {
  if (!iso) return '';
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return String(iso);
  return cached(`time:${utc ? 'utc' : 'local'}`, () => new Intl.DateTimeFormat(dateLocale(), {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
    hourCycle: 'h23', ...(utc ? { timeZone: 'UTC', timeZoneName: 'short' } : {}),
  })).format(when);
}

/** A stretch of time such as "2 days, 4 hr, 30 min" in the language, plural-aware (Intl), to the minute. */
export function formatDuration(milliseconds) {
  const minutes = Math.max(1, Math.ceil(milliseconds / 60000));
  const parts = { days: Math.floor(minutes / 1440), hours: Math.floor((minutes % 1440) / 60), minutes: minutes % 60 };
  if (parts.days) parts.minutes = 0;   // "2 days, 4 hr" is what a trader needs; minutes only within the day
  if (typeof Intl.DurationFormat === 'function') {
    return cached('duration', () => new Intl.DurationFormat(language, { style: 'short' })).format(parts);
  }
  const units = { days: 'day', hours: 'hour', minutes: 'minute' };
  return Object.entries(parts).filter(([, n]) => n).map(([name, n]) => cached(`unit:${name}`,
    () => new Intl.NumberFormat(language, { style: 'unit', unit: units[name], unitDisplay: 'short' })).format(n))
    .join(' ');
}

/** Chart tick labels: lightweight-charts' TickMarkType 0 year, 1 month, 2 day, 3 time, 4 time with seconds. */
export function formatTick(seconds, kind) {
  const options = [
    { year: 'numeric' }, { month: 'short' }, { day: 'numeric', month: 'short' },
    { hour: '2-digit', minute: '2-digit' }, { hour: '2-digit', minute: '2-digit', second: '2-digit' },
  ][kind] || { hour: '2-digit', minute: '2-digit' };
  return cached(`tick:${kind}`, () => new Intl.DateTimeFormat(dateLocale(), options)).format(new Date(seconds * 1000));
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
