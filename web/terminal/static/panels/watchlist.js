// Watch list: every instrument with its live bid and ask, ticking up or down; a click or Enter selects it. An
// instrument the back office lists while the terminal is open is added at once; a delisted one is marked close-only.

import { el } from '/shared/dom.js';
import { formatNumber, onLanguage, t } from '/shared/i18n.js';
import { numCell, setNum, table } from '../dom.js';
import { closedFor, closedText, onMarkets } from '../market.js';
import { on, select, state } from '../store.js';

export default {
  type: 'watchlist',
  title: 'panel.watchlist',
  size: { w: 3, h: 7, minW: 2, minH: 3 },

  mount(body) {
    const filter = el('input', { class: 'filter', type: 'search', 'data-i18n-placeholder': 'watchlist.filter',
      placeholder: t('watchlist.filter'), 'data-i18n-aria-label': 'watchlist.filter', 'aria-label': t('watchlist.filter') });
    const { table: grid, body: rows } = table([
      { key: 'watchlist.symbol' }, { key: 'watchlist.bid', num: true }, { key: 'watchlist.ask', num: true },
      { key: 'watchlist.spread', num: true }]);
    grid.classList.add('watchlist');
    grid.setAttribute('role', 'grid');
    body.append(filter, el('div', { class: 'scroll' }, grid));
    const cells = new Map();   // symbol -> {row, bid, ask, spread}

    const add = (info) => {
      const row = el('tr', { tabindex: '-1', dataset: { symbol: info.symbol }, 'aria-selected': 'false' },
        el('td', { class: 'symbol' }, el('bdi', {}, info.symbol)),
        numCell(null, info.priceDecimals, { class: 'bid' }), numCell(null, info.priceDecimals, { class: 'ask' }),
        numCell(null, 1, { class: 'spread' }),
        el('td', { class: 'market-closed', colspan: 3, hidden: true }));
      const [, bid, ask, spread, closed] = row.children;
      cells.set(info.symbol, { row, bid, ask, spread, closed, info });
      rows.append(row);
    };
    const mark = (c) => {
      c.row.classList.toggle('close-only', Boolean(c.info.close_only));
      c.row.title = c.info.close_only ? t('watchlist.closeOnly') : '';
    };
    for (const info of state.instruments.values()) add(info);
    const listed = ({ instrument }) => {
      const known = cells.get(instrument.symbol);
      if (known) known.info = instrument;
      else add(instrument);
      mark(cells.get(instrument.symbol));
      paint(instrument.symbol);
    };

    /** A closed market's row says when it opens rather than showing its last, stale prices. */
    const paintMarket = (c) => {
      const wait = closedFor(c.info);
      c.row.classList.toggle('closed', wait !== null);
      c.closed.hidden = wait === null;
      for (const cell of [c.bid, c.ask, c.spread]) cell.hidden = wait !== null;
      if (wait !== null) c.closed.textContent = closedText(wait);
      return wait === null;
    };
    const paint = (symbol) => {
      const c = cells.get(symbol);
      const quote = state.quotes.get(symbol);
      if (!c || !paintMarket(c) || !quote) return;
      const before = state.previous.get(symbol);
      setNum(c.bid, quote.bid, c.info.priceDecimals);
      setNum(c.ask, quote.ask, c.info.priceDecimals);
      const pips = (Number(quote.ask) - Number(quote.bid)) / Number(c.info.tick_size);
      c.spread.textContent = Number.isFinite(pips) ? formatNumber(pips, 0) : '—';   // no quote: never "NaN"
      for (const [cell, side] of [[c.bid, 'bid'], [c.ask, 'ask']]) {
        if (!before || before[side] === quote[side]) continue;
        const up = Number(quote[side]) > Number(before[side]);
        cell.classList.toggle('up', up);
        cell.classList.toggle('down', !up);
        cell.classList.remove('flash');
        void cell.offsetWidth;   // restart the flash animation
        cell.classList.add('flash');
      }
      c.row.classList.toggle('stale', Boolean(quote.stale));
    };
    const highlight = () => {
      for (const [symbol, c] of cells) {
        const chosen = symbol === state.selected;
        c.row.classList.toggle('selected', chosen);
        c.row.setAttribute('aria-selected', String(chosen));
        c.row.tabIndex = chosen ? 0 : -1;
      }
    };
    const visibleRows = () => [...rows.children].filter((r) => !r.hidden);

    rows.addEventListener('click', (event) => {
      const row = event.target.closest('tr[data-symbol]');
      if (row) { select(row.dataset.symbol); row.focus(); }
    });
    rows.addEventListener('keydown', (event) => {
      const row = event.target.closest('tr[data-symbol]');
      if (!row) return;
      const list = visibleRows();
      const at = list.indexOf(row);
      let next = null;
      if (event.key === 'ArrowDown') next = list[at + 1];
      else if (event.key === 'ArrowUp') next = list[at - 1];
      else if (event.key === 'Home') next = list[0];
      else if (event.key === 'End') next = list[list.length - 1];
      else if (event.key === 'Enter' || event.key === ' ') {
        select(row.dataset.symbol);
        event.preventDefault();
        return;
      } else return;
      event.preventDefault();
      if (next) { select(next.dataset.symbol); next.focus(); }
    });
    filter.addEventListener('input', () => {
      const wanted = filter.value.trim().toUpperCase();
      for (const [symbol, c] of cells) c.row.hidden = Boolean(wanted) && !symbol.toUpperCase().includes(wanted);
    });
    filter.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowDown') { event.preventDefault(); visibleRows()[0]?.focus(); }
    });

    for (const c of cells.values()) mark(c);
    for (const symbol of cells.keys()) paint(symbol);
    highlight();
    const stops = [
      on('quotes', (changed) => changed.forEach(paint)),
      on('instrument', listed),
      on('selected', highlight),
      onLanguage(() => { for (const [symbol, c] of cells) { mark(c); paint(symbol); } }),
      onMarkets(() => { for (const symbol of cells.keys()) paint(symbol); }),
    ];
    return {
      focus: () => (rows.querySelector('tr.selected') || visibleRows()[0])?.focus(),
      destroy: () => stops.forEach((stop) => stop()),
    };
  },
};
