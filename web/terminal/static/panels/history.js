// Order history: every order that ended (filled, canceled, expired, rejected) with why, searched by instrument,
// status and local dates and paged with "More"; under it, the realised P&L by day. Both come from the server's
// journal and ledger, so they outlive the terminal and the hub's restarts.

import { get } from '/shared/api.js';
import { el } from '/shared/dom.js';
import { currencyDecimals, formatTime, onLanguage, show, t } from '/shared/i18n.js';
import { accountPath } from '../data.js';
import { decimalsFor, emptyRow, label, numCell, table } from '../dom.js';
import { refusal } from '../i18n.js';
import { instrument, on, state } from '../store.js';

const COLUMNS = [
  { key: 'history.time' }, { key: 'history.symbol' }, { key: 'history.side' }, { key: 'history.type' },
  { key: 'history.quantity', num: true }, { key: 'history.filled', num: true },
  { key: 'history.average_price', num: true }, { key: 'history.status' }, { key: 'history.reason' },
];
const PNL_COLUMNS = [
  { key: 'history.day' }, { key: 'history.realised', num: true }, { key: 'history.commission', num: true },
  { key: 'history.financing', num: true }, { key: 'history.net', num: true },
];
const ENDED = ['filled', 'canceled', 'expired', 'rejected'];
const PAGE = 50;
const RELOAD_DELAY_MS = 400;   // a burst of order events is one reload

/** A local calendar day ("2026-12-03" from a date input) as the UTC instant it starts at; ``next``: the day after. */
function dayStart(value, next = false) {
  const [year, month, day] = value.split('-').map(Number);
  return new Date(year, month - 1, day + (next ? 1 : 0)).toISOString();
}

function filterField(name, key, input) {
  input.id = `history-${name}`;
  input.name = name;
  return el('div', { class: 'history-field' }, label(key, 'label', { for: input.id }), input);
}

export default {
  type: 'history',
  title: 'panel.history',
  size: { w: 8, h: 6, minW: 4, minH: 3 },

  mount(body) {
    const symbol = el('select', {});
    const status = el('select', {}, el('option', { value: '', 'data-i18n': 'history.all_statuses' },
      t('history.all_statuses')), ENDED.map((name) => el('option', { value: name, 'data-i18n': `status.${name}` },
      t(`status.${name}`))));
    const from = el('input', { type: 'date', dir: 'ltr' });
    const to = el('input', { type: 'date', dir: 'ltr' });
    const search = el('button', { type: 'submit', class: 'primary', 'data-i18n': 'history.search' },
      t('history.search'));
    const filters = el('form', { class: 'history-filters' }, filterField('symbol', 'history.symbol_filter', symbol),
      filterField('status', 'history.status_filter', status), filterField('from', 'history.from', from),
      filterField('to', 'history.to', to), search);
    const { table: grid, body: rows } = table(COLUMNS);
    const more = el('button', { type: 'button', class: 'history-more', hidden: true, 'data-i18n': 'history.more' },
      t('history.more'));
    const message = el('p', { class: 'result', role: 'status' });
    const { table: pnlGrid, body: pnlRows } = table(PNL_COLUMNS);
    pnlGrid.classList.add('history-pnl');
    body.append(filters, el('div', { class: 'scroll history-orders' }, grid, more), message,
      label('history.pnl_title', 'h3', { class: 'history-pnl-title' }),
      el('div', { class: 'history-pnl-scroll' }, pnlGrid));

    let orders = [];     // every page shown so far, newest first
    let pnl = null;      // GET /pnl?by=day
    let timer = null;

    const paintSymbols = () => {
      const chosen = symbol.value;
      symbol.replaceChildren(el('option', { value: '', 'data-i18n': 'history.all_symbols' }, t('history.all_symbols')),
        ...[...state.instruments.keys()].sort().map((name) => el('option', { value: name }, name)));
      symbol.value = state.instruments.has(chosen) ? chosen : '';
    };

    /** The query of the filters, with ``extra`` (the page's cursor). */
    const query = (extra = {}) => {
      const wanted = new URLSearchParams({ state: 'all', limit: String(PAGE), status: status.value || ENDED.join(','),
        ...extra });
      if (symbol.value) wanted.set('symbol', symbol.value);
      if (from.value) wanted.set('from', dayStart(from.value));
      if (to.value) wanted.set('to', dayStart(to.value, true));
      return wanted;
    };

    const row = (order) => {
      const info = instrument(order.symbol);
      const quantityDecimals = decimalsFor(order.quantity, info ? info.quantityDecimals : 0);
      const reason = el('td', { class: 'reason', dir: 'auto' });
      if (order.status !== 'filled' && (order.reject_code || order.reject_reason)) {
        // the server's own sentence is English: isolated (FSI..PDI), so a right-to-left line keeps its brackets
        const said = refusal(order.reject_code, order.reject_reason);
        reason.textContent = typeof said === 'string' ? said
          : t(said.key, { ...said.params, detail: `\u2068${said.params.detail}\u2069` });
        reason.title = order.reject_reason || '';
      }
      return el('tr', { dataset: { orderId: order.order_id, clOrdId: order.cl_ord_id, status: order.status } },
        el('td', { class: 'time' }, formatTime(order.created_at)),
        el('td', {}, el('bdi', {}, order.symbol)),
        el('td', { class: `side ${order.side}` }, t(`side.${order.side}`)),
        el('td', {}, t(order.trail ? 'order_type.trailing_stop' : `order_type.${order.type}`)),
        numCell(order.quantity, quantityDecimals, { class: 'quantity' }),
        numCell(order.filled, quantityDecimals, { class: 'filled' }),
        numCell(Number(order.filled) ? order.average_price : null, info ? info.priceDecimals : 2, { class: 'price' }),
        el('td', { class: 'status' }, t(`status.${order.status}`)),
        reason);
    };

    const paintOrders = () => {
      rows.replaceChildren(...(orders.length ? orders.map(row) : [emptyRow(COLUMNS.length, 'history.none')]));
    };

    const paintPnl = () => {
      const decimals = currencyDecimals(pnl?.currency || state.account?.base_currency || 'USD');
      const money = (value, name) => {
        const cell = numCell(value, decimals, { class: name, signed: true });
        cell.classList.toggle('up', Number(value) > 0);
        cell.classList.toggle('down', Number(value) < 0);
        return cell;
      };
      const periods = pnl?.periods || [];
      pnlRows.replaceChildren(...(periods.length ? periods.map((day) => el('tr', { dataset: { day: day.start } },
        el('td', { class: 'day', dir: 'ltr' }, day.start), money(day.realised, 'realised'),
        money(day.commission, 'commission'), money(day.financing, 'financing'), money(day.net, 'net')))
        : [emptyRow(PNL_COLUMNS.length, 'history.pnl_none')]));
    };

    const failed = (error) => {
      message.className = 'result error';
      show(message, 'history.failed', { reason: refusal(error.code, error.reason || error.message) });
    };

    const load = async () => {
      if (!state.accountId) return;
      clearTimeout(timer);
      try {
        const period = new URLSearchParams({ by: 'day' });
        const filtered = query();
        for (const name of ['from', 'to']) if (filtered.has(name)) period.set(name, filtered.get(name));
        [orders, pnl] = await Promise.all([get(accountPath(state.accountId, `/orders?${filtered}`)),
          get(accountPath(state.accountId, `/pnl?${period}`))]);
        message.className = 'result';
        message.textContent = '';
      } catch (error) {
        failed(error);
      }
      more.hidden = orders.length < PAGE;
      paintOrders();
      paintPnl();
    };

    const loadMore = async () => {
      const last = orders[orders.length - 1];
      if (!last) return;
      try {
        const page = await get(accountPath(state.accountId, `/orders?${query({ before: last.order_id })}`));
        orders = [...orders, ...page];
        more.hidden = page.length < PAGE;
        paintOrders();
      } catch (error) {
        failed(error);
      }
    };

    const reloadSoon = () => {
      clearTimeout(timer);
      timer = setTimeout(load, RELOAD_DELAY_MS);
    };

    filters.addEventListener('submit', (event) => { event.preventDefault(); load(); });
    more.addEventListener('click', loadMore);
    paintSymbols();
    paintPnl();
    load();
    const stops = [
      on('instrument', paintSymbols),
      on('order-event', (order) => { if (ENDED.includes(order.status)) reloadSoon(); }),
      onLanguage(() => { paintSymbols(); paintOrders(); paintPnl(); }),
    ];
    return { destroy: () => { clearTimeout(timer); stops.forEach((stop) => stop()); } };
  },
};
