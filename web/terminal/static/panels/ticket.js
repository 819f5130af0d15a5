// Order ticket: every order type the API takes, time in force, an attached take-profit and stop-loss, and the
// server's answer (an order the pipeline refused comes back 201 with its reject reason).

import { api } from '/shared/api.js';
import { el } from '/shared/dom.js';
import { formatNumber, message, onLanguage, parseDecimal, show, t } from '/shared/i18n.js';
import { confirmOrder, confirming, setConfirming } from '../confirm.js';
import { accountPath, refresh } from '../data.js';
import { label } from '../dom.js';
import { refusal } from '../i18n.js';
import { closedFor, closedText, onMarkets } from '../market.js';
import { instrument, on, state } from '../store.js';

// What each choice of the type menu sends, and which fields it needs.
export const ORDER_TYPES = {
  market: { type: 'market', fields: [] },
  limit: { type: 'limit', fields: ['price'] },
  stop: { type: 'stop', fields: ['stop_price'] },
  stop_limit: { type: 'stop_limit', fields: ['stop_price', 'price'] },
  take_profit: { type: 'take_profit', fields: ['stop_price'] },
  trailing_stop: { type: 'stop', fields: ['trail'] },
};
export const TIME_IN_FORCE = ['gtc', 'ioc', 'fok', 'day', 'gtd'];

let sequence = 0;
const clientOrderId = () => `T${Date.now().toString(36)}${(sequence++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

function field(name, key, input) {
  input.id = `ticket-${name}`;
  input.name = name;
  return el('div', { class: 'field', dataset: { field: name } }, label(key, 'label', { for: input.id }), input);
}

const decimalInput = () => el('input', { inputmode: 'decimal', autocomplete: 'off', dir: 'ltr', spellcheck: 'false' });

export default {
  type: 'ticket',
  title: 'panel.ticket',
  size: { w: 3, h: 9, minW: 2, minH: 6 },

  mount(body) {
    const typeSelect = el('select', {}, Object.keys(ORDER_TYPES).map((name) =>
      el('option', { value: name, 'data-i18n': `order_type.${name}` }, t(`order_type.${name}`))));
    const tifSelect = el('select', {}, TIME_IN_FORCE.map((name) =>
      el('option', { value: name, 'data-i18n': `tif.${name}` }, t(`tif.${name}`))));
    const inputs = { quantity: decimalInput(), price: decimalInput(), stop_price: decimalInput(), trail: decimalInput(),
      take_profit: decimalInput(), stop_loss: decimalInput(),
      expire_at: el('input', { type: 'datetime-local', step: '1', dir: 'ltr' }) };
    const symbolLine = el('bdi', { class: 'ticket-symbol' });
    const hint = el('p', { class: 'muted hint', dir: 'auto' });
    const sellPrice = el('span', { class: 'side-price', dir: 'ltr' });
    const buyPrice = el('span', { class: 'side-price', dir: 'ltr' });
    const sell = el('button', { type: 'button', class: 'sell', dataset: { side: 'sell' } },
      label('ticket.sell'), sellPrice);
    const buy = el('button', { type: 'button', class: 'buy', dataset: { side: 'buy' } }, label('ticket.buy'), buyPrice);
    const result = el('p', { class: 'result', role: 'status', 'aria-live': 'polite' });
    const confirmBox = el('input', { type: 'checkbox', id: 'ticket-confirm', checked: confirming(),
      onchange: () => setConfirming(confirmBox.checked) });
    const closedLine = el('p', { class: 'market-closed', role: 'status', hidden: true });
    const form = el('form', { class: 'ticket', novalidate: true },
      el('div', { class: 'ticket-head' }, symbolLine),
      field('type', 'ticket.type', typeSelect),
      field('quantity', 'ticket.quantity', inputs.quantity),
      field('price', 'ticket.price', inputs.price),
      field('stop_price', 'ticket.stop_price', inputs.stop_price),
      field('trail', 'ticket.trail', inputs.trail),
      field('time_in_force', 'ticket.time_in_force', tifSelect),
      field('expire_at', 'ticket.expire_at', inputs.expire_at),
      el('fieldset', { class: 'brackets' }, label('ticket.attached', 'legend'),
        field('take_profit', 'ticket.take_profit', inputs.take_profit),
        field('stop_loss', 'ticket.stop_loss', inputs.stop_loss)),
      hint,
      closedLine,
      el('label', { class: 'confirm-orders', for: 'ticket-confirm' }, confirmBox, label('ticket.confirm_orders')),
      el('div', { class: 'sides' }, sell, buy),
      result);
    body.append(form);
    let symbol = null;

    const plain = (value, decimals) => (value == null ? '' : Number(value).toFixed(decimals));
    const showFields = () => {
      const wanted = new Set(ORDER_TYPES[typeSelect.value].fields);
      for (const name of ['price', 'stop_price', 'trail']) {
        form.querySelector(`[data-field="${name}"]`).hidden = !wanted.has(name);
      }
      form.querySelector('[data-field="expire_at"]').hidden = tifSelect.value !== 'gtd';
    };
    const prefill = (force) => {
      const info = instrument(symbol);
      const quote = state.quotes.get(symbol);
      if (!info) return;
      if (force || !inputs.quantity.value) inputs.quantity.value = info.board_lot || info.min_quantity;
      if (!quote) return;
      for (const name of ['price', 'stop_price']) {
        if (force || !inputs[name].value) inputs[name].value = plain(quote.bid, info.priceDecimals);
      }
      if (force || !inputs.trail.value) inputs.trail.value = plain(Number(info.tick_size) * 100, info.priceDecimals);
      if (force) { inputs.take_profit.value = ''; inputs.stop_loss.value = ''; }
    };
    const paintQuote = () => {
      const info = instrument(symbol);
      const quote = state.quotes.get(symbol);
      const wait = closedFor(info);   // a closed market says when it opens; its last prices are not on offer
      closedLine.hidden = wait === null;
      closedLine.textContent = wait === null ? '' : closedText(wait);
      sellPrice.hidden = buyPrice.hidden = wait !== null;
      sellPrice.textContent = quote && info ? formatNumber(quote.bid, info.priceDecimals) : '—';
      buyPrice.textContent = quote && info ? formatNumber(quote.ask, info.priceDecimals) : '—';
    };
    const paintHint = () => {
      const info = instrument(symbol);
      hint.textContent = info ? t('ticket.limits', { step: info.board_lot || info.lot_step, min: info.min_quantity,
        max: info.max_quantity, tick: info.tick_size }) : '';
    };
    const showSymbol = () => {
      symbol = state.selected;
      symbolLine.textContent = symbol || '';
      prefill(true);
      paintQuote();
      paintHint();
    };
    /** The answer as a catalogue key and its parameters: said again in the language switched to. */
    const say = (kind, key, params) => {
      result.className = `result ${kind}`;
      result.setAttribute('role', kind === 'error' ? 'alert' : 'status');
      show(result, key, params);
    };

    // The last order sent from here: its later states (filled, or refused by the venue) come on the account stream.
    let last = null;
    let lastShown = null;
    const RANK = { pending_new: 0, new: 1, pending_replace: 1, pending_cancel: 1, partially_filled: 2 };
    const rank = (order) => RANK[order.status] ?? 3;
    const report = (placed) => {
      // the stream may overtake the POST's own answer: never step an order's state back
      if (lastShown?.cl_ord_id === placed.cl_ord_id && rank(placed) < rank(lastShown)) return;
      lastShown = placed;
      if (placed.status === 'rejected') {
        say('error', 'ticket.rejected', { reason: refusal(placed.reject_code, placed.reject_reason) });
      } else {
        say('ok', 'ticket.accepted', { side: message(`side.${placed.side}`), quantity: placed.quantity,
          symbol: placed.symbol, status: message(`status.${placed.status}`) });
      }
    };

    /** The request body, or a translated reason why not. */
    const build = (side) => {
      const chosen = ORDER_TYPES[typeSelect.value];
      const order = { cl_ord_id: clientOrderId(), symbol, side, type: chosen.type, time_in_force: tifSelect.value };
      const quantity = parseDecimal(inputs.quantity.value);
      if (!quantity || Number(quantity) <= 0) return { problem: message('ticket.need_quantity') };
      order.quantity = quantity;
      for (const name of chosen.fields) {
        const value = parseDecimal(inputs[name].value);
        if (!value) return { problem: message('ticket.need_field', { field: message(`ticket.${name}`) }) };
        order[name] = value;
      }
      for (const name of ['take_profit', 'stop_loss']) {
        if (!inputs[name].value.trim()) continue;
        const value = parseDecimal(inputs[name].value);
        if (!value) return { problem: message('ticket.need_field', { field: message(`ticket.${name}`) }) };
        order[name] = value;
      }
      if (tifSelect.value === 'gtd') {
        const when = inputs.expire_at.value ? new Date(inputs.expire_at.value) : null;   // local time as typed
        if (!when || Number.isNaN(when.getTime())) return { problem: message('ticket.need_expiry') };
        order.expire_at = when.toISOString();
      }
      return { order };
    };

    const place = async (side) => {
      if (!symbol) return;
      const { order, problem } = build(side);
      if (problem) { last = null; say('error', problem.key, problem.params); return; }
      if (confirmBox.checked
          && !await confirmOrder(order, typeSelect.value, instrument(symbol), state.quotes.get(symbol))) {
        say('error', 'confirm.canceled');
        return;
      }
      for (const button of [buy, sell]) button.disabled = true;
      say('pending', 'ticket.sending');
      try {
        last = order.cl_ord_id;
        report(await api('POST', accountPath(state.accountId, '/orders'), { body: order }));
      } catch (error) {
        say('error', 'ticket.refused', { reason: refusal(error.code, error.reason || error.message) });
      } finally {
        for (const button of [buy, sell]) button.disabled = false;
        refresh('orders', 'positions', 'account', 'fills');
      }
    };

    form.addEventListener('submit', (event) => event.preventDefault());
    buy.addEventListener('click', () => place('buy'));
    sell.addEventListener('click', () => place('sell'));
    typeSelect.addEventListener('change', showFields);
    tifSelect.addEventListener('change', () => {
      showFields();
      if (tifSelect.value === 'gtd' && !inputs.expire_at.value) {
        const inAnHour = new Date(Date.now() + 3600e3 - new Date().getTimezoneOffset() * 60e3);
        inputs.expire_at.value = inAnHour.toISOString().slice(0, 19);
      }
    });

    showFields();
    showSymbol();
    const stops = [
      on('selected', showSymbol),
      on('quotes', (changed) => {
        if (!changed.has(symbol)) return;
        paintQuote();
        prefill(false);
      }),
      on('order-event', (order) => { if (order.cl_ord_id === last) report(order); }),
      onLanguage(() => { paintQuote(); paintHint(); }),   // the result line is said again by translate()
      onMarkets(paintQuote),
    ];
    return {
      focus: () => { inputs.quantity.focus(); inputs.quantity.select(); },
      buy: () => place('buy'),
      sell: () => place('sell'),
      destroy: () => stops.forEach((stop) => stop()),
    };
  },
};
