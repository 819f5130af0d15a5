// Small DOM helpers: elements from data (never from HTML strings), numeric cells that stay left-to-right.

import { formatNumber, t } from './i18n.js';

/** el('td', {class: 'x', dataset: {...}, onclick}, child, ...) */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') element.className = value;
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'text') element.textContent = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

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
