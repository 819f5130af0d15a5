// Account data: fetched from the REST API, kept current by the account stream and refetched after actions; and
// instruments listed, changed or delisted while the terminal is open, from the price stream.

import { get } from '/shared/api.js';
import { decimalsOf } from '/shared/i18n.js';
import { emit, state } from './store.js';

/** The REST path of one of the trader's accounts, with ``tail`` ("/orders") after it. */
export const accountPath = (accountId, tail = '') => `/api/accounts/${encodeURIComponent(accountId)}${tail}`;

const OPEN = new Set(['pending_new', 'new', 'partially_filled', 'pending_cancel', 'pending_replace']);

export async function loadAccount() {
  const accounts = await get('/api/accounts');
  state.account = accounts.find((a) => a.account_id === state.accountId) || null;
  emit('account', state.account);
}

export async function loadPositions() {
  state.positions = await get(accountPath(state.accountId, '/positions'));
  emit('positions', state.positions);
}

export async function loadOrders() {
  state.orders = await get(accountPath(state.accountId, '/orders?state=open'));
  emit('orders', state.orders);
}

export async function loadFills() {
  state.fills = await get(accountPath(state.accountId, '/fills?limit=200'));
  emit('fills', state.fills);
}

const loaders = { account: loadAccount, positions: loadPositions, orders: loadOrders, fills: loadFills };
const pending = new Set();
let timer = null;

/** Refetch these parts soon; bursts of events (an order filling in pieces) become one request per part. */
export function refresh(...parts) {
  (parts.length ? parts : Object.keys(loaders)).forEach((p) => pending.add(p));
  clearTimeout(timer);
  timer = setTimeout(() => {
    const now = [...pending];
    pending.clear();
    for (const part of now) loaders[part]().catch((error) => console.warn('refresh', part, error));
  }, 150);
}

export function stopRefreshing() {
  clearTimeout(timer);
  pending.clear();
}

/** An account-stream event: applied at once where it says enough, and the rest refetched. */
export function onAccountEvent(event) {
  switch (event.type) {
    case 'order': {
      const order = { ...event, type: event.order_type };
      const others = state.orders.filter((o) => o.order_id !== order.order_id);
      state.orders = OPEN.has(order.status) ? [order, ...others] : others;
      emit('orders', state.orders);
      emit('order-event', order);
      refresh('account');
      break;
    }
    case 'fill':
      state.fills = [{ ...event, at: new Date().toISOString() }, ...state.fills];
      emit('fills', state.fills);
      refresh('fills', 'positions', 'account');
      break;
    case 'position':
    case 'balance':
      refresh('positions', 'account');
      break;
    case 'reconnected':
      refresh();
      break;
    default:
      break;
  }
}

/** An instrument the back office listed, changed or delisted (the price stream's "instrument" frame): kept as
 * GET /api/instruments gives them, and announced ('instrument') so the watch list and the ticket show it at once. */
export function onInstrumentEvent(event) {
  const { type: _frame, change, ...instrument } = event;
  const known = {
    market_hours: state.instruments.get(instrument.symbol)?.market_hours,   // the stream's frame does not carry it
    ...instrument,
    priceDecimals: instrument.price_precision ?? decimalsOf(instrument.tick_size),
    quantityDecimals: instrument.quantity_precision ?? decimalsOf(instrument.board_lot || instrument.lot_step),
  };
  state.instruments.set(known.symbol, known);
  emit('instrument', { change, instrument: known });
}
