// Whether an instrument's market is open and how long until it opens, from GET /api/instruments' market_hours,
// counted on the hub's clock (as_of): a browser whose own clock is off still shows the hub's countdown.

import { get } from '/shared/api.js';
import { formatDuration, t } from '/shared/i18n.js';
import { state } from './store.js';

const TICK_MS = 15e3;
const REFRESH_MS = 5 * 60e3;   // markets also close (and break for lunch): asked again now and then
const readAt = new WeakMap();  // market_hours -> the browser's time when first read
const listeners = new Set();
let timer = null;
let fetchedAt = Date.now();

function left(hours) {
  if (!readAt.has(hours)) readAt.set(hours, Date.now());
  return Date.parse(hours.next_open) - Date.parse(hours.as_of) - (Date.now() - readAt.get(hours));
}

/** Milliseconds until the market of ``info`` opens (Infinity: not within the week); null while it is open. */
export function closedFor(info) {
  const hours = info?.market_hours;
  if (!hours || hours.open_now) return null;
  if (!hours.next_open) return Infinity;
  const wait = left(hours);
  return wait > 0 ? wait : null;
}

/** What a closed market shows instead of its stale price, in the language now (painted again on a switch). */
export function closedText(wait) {
  return Number.isFinite(wait) ? t('market.closed_opens_in', { time: formatDuration(wait) }) : t('market.closed');
}

async function reload() {
  fetchedAt = Date.now();
  try {
    for (const fresh of await get('/api/instruments')) {
      const known = state.instruments.get(fresh.symbol);
      if (known) known.market_hours = fresh.market_hours;
    }
  } catch (error) {
    console.warn('market hours', error);
  }
}

async function tick() {
  const ended = [...state.instruments.values()].some((info) => info.market_hours?.next_open
    && !info.market_hours.open_now && closedFor(info) === null);
  if (ended || Date.now() - fetchedAt > REFRESH_MS) await reload();
  for (const listener of listeners) listener();
}

/** Call ``listener`` as countdowns move and markets open or close; returns the function that stops it. */
export function onMarkets(listener) {
  listeners.add(listener);
  timer ??= setInterval(tick, TICK_MS);
  return () => {
    listeners.delete(listener);
    if (!listeners.size) { clearInterval(timer); timer = null; }
  };
}
