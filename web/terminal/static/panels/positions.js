// Positions with live P&L: marked at the stream's mid between the server's updates; Close sends the opposite
// market order (naming the position on a hedging account; a netting account nets it and refuses the id).

import { api } from '/shared/api.js';
import { el } from '/shared/dom.js';
import { onLanguage, t } from '/shared/i18n.js';
import { accountPath, refresh } from '../data.js';
import { decimalsFor, emptyRow, numCell, setNum, table } from '../dom.js';
import { refusal } from '../i18n.js';
import { instrument, livePnl, on, state } from '../store.js';

const COLUMNS = [
  { key: 'positions.symbol' }, { key: 'positions.side' }, { key: 'positions.quantity', num: true },
  { key: 'positions.average_price', num: true }, { key: 'positions.mark', num: true },
  { key: 'positions.pnl', num: true }, { key: 'positions.actions' },
];

export default {
  type: 'positions',
  title: 'panel.positions',
  size: { w: 5, h: 4, minW: 3, minH: 2 },

  mount(body) {
    const { table: grid, body: rows } = table(COLUMNS);
    const message = el('p', { class: 'result', role: 'status' });
    body.append(el('div', { class: 'scroll' }, grid), message);
    let live = [];   // [{position, mark, pnl cells}]

    const close = async (position) => {
      const quantity = String(position.quantity).replace(/^-/, '');
      const order = { symbol: position.symbol, side: Number(position.quantity) > 0 ? 'sell' : 'buy', type: 'market',
        quantity };
      if (state.account?.position_mode === 'hedging') order.position_id = position.position_id;   // netting refuses ids
      try {
        const placed = await api('POST', accountPath(state.accountId, '/orders'), { body: order });
        message.className = `result ${placed.status === 'rejected' ? 'error' : 'ok'}`;
        message.textContent = placed.status === 'rejected'
          ? t('ticket.rejected', { reason: refusal(placed.reject_code, placed.reject_reason) })
          : t('positions.close_sent', { symbol: position.symbol });
      } catch (error) {
        message.className = 'result error';
        message.textContent = t('ticket.refused', { reason: refusal(error.code, error.reason || error.message) });
      }
      refresh('positions', 'orders', 'fills', 'account');
    };

    const paintLive = () => {
      const currency = state.account?.base_currency;
      for (const item of live) {
        const { mark, pnl } = livePnl(item.position);
        setNum(item.mark, mark, item.priceDecimals);
        setNum(item.pnl, pnl, 2, { signed: true });
        item.pnl.classList.toggle('up', pnl > 0);
        item.pnl.classList.toggle('down', pnl < 0);
        item.pnl.title = currency || '';
      }
    };

    const render = () => {
      live = [];
      const list = state.positions.filter((p) => Number(p.quantity) !== 0);
      rows.replaceChildren(...(list.length ? list.map((position) => {
        const info = instrument(position.symbol);
        const priceDecimals = info ? info.priceDecimals : 2;
        const long = Number(position.quantity) > 0;
        const quantity = String(position.quantity).replace(/^-/, '');
        const markCell = numCell(position.mark, priceDecimals, { class: 'mark' });
        const pnlCell = numCell(position.unrealised_pnl, 2, { class: 'pnl', signed: true });
        live.push({ position, mark: markCell, pnl: pnlCell, priceDecimals });
        return el('tr', { dataset: { symbol: position.symbol, positionId: position.position_id } },
          el('td', {}, el('bdi', {}, position.symbol)),
          el('td', { class: `side ${long ? 'buy' : 'sell'}` }, t(long ? 'positions.long' : 'positions.short')),
          numCell(quantity, decimalsFor(quantity, info ? info.quantityDecimals : 0), { class: 'quantity' }),
          numCell(position.average_price, priceDecimals), markCell, pnlCell,
          el('td', { class: 'actions' }, el('button', { type: 'button', class: 'close-position',
            onclick: () => close(position) }, t('positions.close'))));
      }) : [emptyRow(COLUMNS.length, 'positions.none')]));
      paintLive();
    };

    render();
    const stops = [
      on('positions', render),
      on('quotes', (changed) => { if (live.some((item) => changed.has(item.position.symbol))) paintLive(); }),
      onLanguage(render),
    ];
    return { destroy: () => stops.forEach((stop) => stop()) };
  },
};
