// Market depth of the selected instrument (GET /api/depth, refreshed each second while the panel is open).

import { get } from '/shared/api.js';
import { el } from '/shared/dom.js';
import { onLanguage, t } from '/shared/i18n.js';
import { numCell, table } from '../dom.js';
import { instrument, on, state } from '../store.js';

const REFRESH_MS = 1000;

export default {
  type: 'depth',
  title: 'panel.depth',
  size: { w: 4, h: 4, minW: 2, minH: 3 },

  mount(body) {
    const caption = el('bdi', { class: 'depth-symbol' });
    const status = el('span', { class: 'muted', role: 'status' });
    const { table: grid, body: rows } = table([
      { key: 'depth.bid_size', num: true }, { key: 'depth.bid', num: true },
      { key: 'depth.ask', num: true }, { key: 'depth.ask_size', num: true }]);
    grid.classList.add('depth');
    grid.setAttribute('dir', 'ltr');   // a book reads bids-left, asks-right in every language
    body.append(el('div', { class: 'toolbar' }, caption, status), el('div', { class: 'scroll' }, grid));
    let book = null;
    let timer = null;
    let stopped = false;
    let generation = 0;   // a restart (new symbol) ends the older polling chain

    const render = () => {
      const info = instrument(state.selected);
      caption.textContent = state.selected || '';
      if (!book || !info) { rows.replaceChildren(); return; }
      const depth = Math.max(book.bids.length, book.asks.length);
      const largest = Math.max(1, ...book.bids.map((l) => Number(l[1])), ...book.asks.map((l) => Number(l[1])));
      const sizeDecimals = (s) => Math.min(8, (String(s).split('.')[1] || '').replace(/0+$/, '').length);
      const out = [];
      for (let i = 0; i < depth; i += 1) {
        const bid = book.bids[i];
        const ask = book.asks[i];
        const bidSize = numCell(bid?.[1], bid ? sizeDecimals(bid[1]) : 0, { class: 'size bid-size' });
        const askSize = numCell(ask?.[1], ask ? sizeDecimals(ask[1]) : 0, { class: 'size ask-size' });
        if (bid) bidSize.style.setProperty('--fill', `${(Number(bid[1]) / largest) * 100}%`);
        if (ask) askSize.style.setProperty('--fill', `${(Number(ask[1]) / largest) * 100}%`);
        out.push(el('tr', {}, bidSize, numCell(bid?.[0], info.priceDecimals, { class: 'bid' }),
          numCell(ask?.[0], info.priceDecimals, { class: 'ask' }), askSize));
      }
      rows.replaceChildren(...out);
    };

    const poll = async (mine = generation) => {
      if (stopped || mine !== generation) return;
      const symbol = state.selected;
      try {
        if (symbol) {
          const answer = await get(`/api/depth?symbol=${encodeURIComponent(symbol)}`);
          if (symbol === state.selected) book = answer;
          status.textContent = '';
        }
      } catch (error) {
        status.textContent = t('depth.failed', { reason: error.reason || error.message });
      }
      if (stopped || mine !== generation) return;
      render();
      timer = setTimeout(() => poll(mine), REFRESH_MS);
    };

    poll();
    const stops = [
      on('selected', () => { book = null; render(); clearTimeout(timer); generation += 1; poll(); }),
      onLanguage(render),
    ];
    return {
      destroy() {
        stopped = true;
        clearTimeout(timer);
        stops.forEach((stop) => stop());
      },
    };
  },
};
