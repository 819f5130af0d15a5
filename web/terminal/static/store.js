// What the terminal knows, shared by the panels, and the events that say it changed.

export const state = {
  user: null,            // GET /api/session
  accountId: null,
  account: null,         // GET /api/accounts row of accountId
  instruments: new Map(),  // symbol -> instrument, with .priceDecimals and .quantityDecimals
  quotes: new Map(),     // symbol -> latest quote
  previous: new Map(),   // symbol -> the quote before it (tick direction)
  selected: null,        // the symbol the chart, ticket and depth show
  positions: [],
  orders: [],            // open orders
  fills: [],
};

const events = new EventTarget();

export function emit(name, detail) { events.dispatchEvent(new CustomEvent(name, { detail })); }

/** Listen to ``name``; returns the function that stops listening. */
export function on(name, listener) {
  const wrapped = (event) => listener(event.detail);
  events.addEventListener(name, wrapped);
  return () => events.removeEventListener(name, wrapped);
}

export function select(symbol) {
  if (!state.instruments.has(symbol) || symbol === state.selected) return;
  state.selected = symbol;
  emit('selected', symbol);
}

export function instrument(symbol) { return state.instruments.get(symbol); }

export function mid(symbol) {
  const quote = state.quotes.get(symbol);
  if (!quote || quote.bid == null || quote.ask == null) return null;
  return (Number(quote.bid) + Number(quote.ask)) / 2;
}

// Quotes arrive faster than a screen refreshes: changed symbols are collected and announced once a frame.
let dirty = new Set();
let scheduled = false;

export function applyQuote(quote) {
  const before = state.quotes.get(quote.symbol);
  if (before) state.previous.set(quote.symbol, before);
  state.quotes.set(quote.symbol, quote);
  dirty.add(quote.symbol);
  if (!scheduled) {
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      const changed = dirty;
      dirty = new Set();
      emit('quotes', changed);
    });
  }
}

/** Live unrealised P&L of a position in the account's currency, marked at the stream's mid like the server. */
export function livePnl(position) {
  const mark = mid(position.symbol);
  const info = instrument(position.symbol);
  if (mark === null || !info) return { mark: position.mark, pnl: Number(position.unrealised_pnl) };
  const quantity = Number(position.quantity);
  const points = (mark - Number(position.average_price)) * quantity * Number(info.contract_size || 1);
  return { mark, pnl: points * conversion(position, info) };
}

/** Quote currency -> account currency: from a quoted pair if there is one, else what the server's last P&L implies. */
function conversion(position, info) {
  const account = state.account?.base_currency;
  const quote = info.quote_currency;
  if (!account || quote === account) return 1;
  for (const [symbol, other] of state.instruments) {
    const m = mid(symbol);
    if (m === null || m === 0) continue;
    if (other.base_currency === quote && other.quote_currency === account) return m;
    if (other.base_currency === account && other.quote_currency === quote) return 1 / m;
  }
  const serverPoints = (Number(position.mark) - Number(position.average_price)) * Number(position.quantity)
    * Number(info.contract_size || 1);
  if (serverPoints !== 0 && Number.isFinite(Number(position.unrealised_pnl))) {
    return Number(position.unrealised_pnl) / serverPoints;
  }
  return ['USD', 'USDT', 'USDC'].includes(quote) && account === 'USD' ? 1 : 0;
}
