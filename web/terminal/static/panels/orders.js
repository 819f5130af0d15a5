// Open orders: cancel, or amend quantity and price in place; the server's refusal is shown on the row.

import { api } from '/shared/api.js';
import { el } from '/shared/dom.js';
import { formatTime, onLanguage, parseDecimal, t } from '/shared/i18n.js';
import { accountPath, refresh } from '../data.js';
import { decimalsFor, emptyRow, numCell, table } from '../dom.js';
import { refusal } from '../i18n.js';
import { instrument, on, state } from '../store.js';

const COLUMNS = [
  { key: 'orders.time' }, { key: 'orders.symbol' }, { key: 'orders.side' }, { key: 'orders.type' },
  { key: 'orders.quantity', num: true }, { key: 'orders.filled', num: true }, { key: 'orders.price', num: true },
  { key: 'orders.stop_price', num: true }, { key: 'orders.tif' }, { key: 'orders.status' }, { key: 'orders.actions' },
];

export default {
  type: 'orders',
  title: 'panel.orders',
  size: { w: 8, h: 4, minW: 3, minH: 2 },

  mount(body) {
    const { table: grid, body: rows } = table(COLUMNS);
    const message = el('p', { class: 'result', role: 'status' });
    body.append(el('div', { class: 'scroll' }, grid), message);
    let editing = null;   // cl_ord_id of the row being amended

    const say = (kind, text) => { message.className = `result ${kind}`; message.textContent = text; };

    const cancel = async (order) => {
      try {
        await api('DELETE', accountPath(state.accountId, `/orders/${encodeURIComponent(order.cl_ord_id)}`));
        say('ok', t('orders.cancel_sent', { id: order.cl_ord_id }));
      } catch (error) {
        say('error', t('orders.refused', { reason: refusal(error.code, error.reason || error.message) }));
      }
      refresh('orders', 'account');
    };

    const amend = async (order, quantityText, priceText) => {
      const quantity = parseDecimal(quantityText);
      const price = priceText.trim() ? parseDecimal(priceText) : null;
      if (!quantity || (priceText.trim() && !price)) { say('error', t('orders.bad_amend')); return; }
      const change = { quantity };
      if (price) change.price = price;
      try {
        await api('PATCH', accountPath(state.accountId, `/orders/${encodeURIComponent(order.cl_ord_id)}`),
          { body: change });
        say('ok', t('orders.amend_sent', { id: order.cl_ord_id }));
        editing = null;
        forceRender();
      } catch (error) {
        say('error', t('orders.refused', { reason: refusal(error.code, error.reason || error.message) }));
      }
      refresh('orders', 'account');
    };

    const row = (order) => {
      const info = instrument(order.symbol);
      const priceDecimals = info ? info.priceDecimals : 2;
      const quantityDecimals = decimalsFor(order.quantity, info ? info.quantityDecimals : 0);
      const tr = el('tr', { dataset: { clOrdId: order.cl_ord_id, status: order.status } },
        el('td', { class: 'time' }, formatTime(order.created_at)),
        el('td', {}, el('bdi', {}, order.symbol)),
        el('td', { class: `side ${order.side}` }, t(`side.${order.side}`)),
        el('td', {}, t(order.trail ? 'order_type.trailing_stop' : `order_type.${order.type}`)),
        numCell(order.quantity, quantityDecimals, { class: 'quantity' }),
        numCell(order.filled, quantityDecimals),
        numCell(order.price, priceDecimals, { class: 'price' }),
        numCell(order.stop_price, priceDecimals),
        el('td', {}, t(`tif.${order.time_in_force}`)),
        el('td', { class: 'status' }, t(`status.${order.status}`)));
      const actions = el('td', { class: 'actions' });
      if (editing === order.cl_ord_id) {
        const quantity = el('input', { class: 'amend-quantity', inputmode: 'decimal', dir: 'ltr', value: order.quantity,
          'aria-label': t('orders.quantity') });
        const price = el('input', { class: 'amend-price', inputmode: 'decimal', dir: 'ltr', value: order.price ?? '',
          'aria-label': t('orders.price'), disabled: order.price == null });
        const save = el('button', { type: 'button', class: 'primary', onclick: () => amend(order, quantity.value,
          price.value) }, t('orders.save'));
        const back = el('button', { type: 'button', onclick: () => { editing = null; forceRender(); } }, t('orders.discard'));
        for (const input of [quantity, price]) {
          input.addEventListener('keydown', (event) => {
            if (event.key === 'Enter') save.click();
            if (event.key === 'Escape') back.click();
          });
        }
        tr.children[4].replaceChildren(quantity);
        tr.children[6].replaceChildren(price);
        actions.append(save, back);
        queueMicrotask(() => quantity.focus());
      } else {
        actions.append(
          el('button', { type: 'button', class: 'amend', onclick: () => { editing = order.cl_ord_id; forceRender(); } },
            t('orders.amend')),
          el('button', { type: 'button', class: 'cancel danger', onclick: () => cancel(order) }, t('orders.cancel')));
      }
      tr.append(actions);
      return tr;
    };

    const render = () => {
      if (editing && !state.orders.some((o) => o.cl_ord_id === editing)) editing = null;
      if (editing && rows.contains(document.activeElement)) return;   // never rebuild under the trader's typing
      rows.replaceChildren(...(state.orders.length ? state.orders.map(row) : [emptyRow(COLUMNS.length, 'orders.none')]));
    };
    const forceRender = () => {
      rows.replaceChildren(...(state.orders.length ? state.orders.map(row) : [emptyRow(COLUMNS.length, 'orders.none')]));
    };

    forceRender();
    const stops = [on('orders', render), onLanguage(forceRender)];
    return { destroy: () => stops.forEach((stop) => stop()) };
  },
};
