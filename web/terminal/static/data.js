// Account data: fetched from the REST API, kept current by the account stream and refetched after actions.

import { accountPath, get } from './api.js';
import { emit, state } from './store.js';

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
