// The terminal's DOM helpers on top of /shared/dom.js's el(): translated labels, numeric cells that stay
// left-to-right, tables.

import { el } from '/shared/dom.js';
import { formatNumber, t } from '/shared/i18n.js';

/** A translated text node holder: <span data-i18n=key> that translate() refreshes on a language change. */
export function label(key, tag = 'span', attributes = {}) {
  return el(tag, { ...attributes, 'data-i18n': key }, t(key));
}

/** A number for people: formatted for the locale, isolated and left-to-right even on a right-to-left page. */
export function numCell(value, decimals, options = {}) {
  const cell = el(options.tag || 'td', { class: `num ${options.class || ''}`.trim(), dir: 'ltr' });
  cell.textContent = value === null || value === undefined ? '—' : formatNumber(value, decimals, options);
  return cell;
}

export function setNum(cell, value, decimals, options = {}) {
  cell.textContent = value === null || value === undefined ? '—' : formatNumber(value, decimals, options);
}

/** A table with translated column heads; returns {table, body}. */
export function table(columns) {
  const head = el('tr', {}, columns.map((c) => el('th', { class: c.num ? 'num' : '', scope: 'col',
    'data-i18n': c.key || null }, c.key ? t(c.key) : '')));
  const body = el('tbody');
  return { table: el('table', { class: 'data' }, el('thead', {}, head), body), body };
}

export function emptyRow(columnCount, key) {
  return el('tr', { class: 'empty' }, el('td', { colspan: columnCount, 'data-i18n': key }, t(key)));
}

/** Decimals that show every significant digit of ``value`` but at least ``least``. */
export function decimalsFor(value, least) {
  const text = String(value ?? '');
  const dot = text.indexOf('.');
  const own = dot < 0 ? 0 : text.replace(/0+$/, '').length - dot - 1;
  return Math.max(least, own);
}
