// The two WebSocket streams, each reconnecting with backoff until closed on purpose.

import { onInstrumentEvent } from './data.js';

function socketUrl(path) {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}

class Stream {
  constructor(path, onStatus) {
    this.path = path;
    this.onStatus = onStatus;
    this.socket = null;
    this.closed = false;
    this.delay = 500;
    this.timer = null;
  }

  open() {
    if (this.closed) return;
    const socket = new WebSocket(socketUrl(this.path));
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.delay = 500;
      this.onStatus?.('open');
      this.opened(socket);
    });
    socket.addEventListener('message', (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.message(message);
    });
    socket.addEventListener('close', () => {
      if (this.socket !== socket || this.closed) return;
      this.onStatus?.('closed');
      this.timer = setTimeout(() => this.open(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    });
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    this.socket?.close(1000);
    this.socket = null;
  }

  opened() {}

  message() {}
}

/** /api/stream/prices: a snapshot per symbol, then quotes; a quote with "gap" asks for a fresh snapshot. An
 * "instrument" frame is one the back office listed, changed or delisted: a new one is priced from then on. */
export class PriceStream extends Stream {
  constructor(onQuote, onError, onStatus) {
    super('/api/stream/prices', onStatus);
    this.onQuote = onQuote;
    this.onError = onError;
    this.symbols = new Set();
  }

  subscribe(symbols) {
    const fresh = symbols.filter((s) => !this.symbols.has(s));
    fresh.forEach((s) => this.symbols.add(s));
    if (fresh.length) this.send({ op: 'subscribe', symbols: fresh });
  }

  send(command) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(command));
  }

  opened() {
    if (this.symbols.size) this.send({ op: 'subscribe', symbols: [...this.symbols] });
  }

  message(message) {
    if (message.type === 'snapshot' || message.type === 'quote') {
      this.onQuote(message);
      if (message.gap) this.send({ op: 'subscribe', symbols: [message.symbol] });
    } else if (message.type === 'instrument') {
      onInstrumentEvent(message);
      if (message.change === 'listed') this.subscribe([message.symbol]);
    } else if (message.type === 'error') {
      this.onError?.(message);
    }
  }
}

/** /api/stream/account: order, position, balance and fill events of one account. Read-only on our side. */
export class AccountStream extends Stream {
  constructor(accountId, onEvent, onStatus) {
    super(`/api/stream/account?account_id=${encodeURIComponent(accountId)}`, onStatus);
    this.onEvent = onEvent;
  }

  opened() { this.onEvent({ type: 'reconnected' }); }   // events may have been missed while away

  message(message) { this.onEvent(message); }
}
