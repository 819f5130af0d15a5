// Positions with live P&L: marked at the stream's mid between the server's updates; Close sends the opposite
// market order for the quantity beside it (the whole position unless changed; naming the position on a hedging
// account, where a netting account nets it and refuses the id).

import { api } from '/shared/api.js';
import { el } from '/shared/dom.js';
import { decimalsOf, message, onLanguage, parseDecimal, show, t } from '/shared/i18n.js';
import { accountPath, refresh } from '../data.js';
import { decimalsFor, emptyRow, numCell, setNum, table } from '../dom.js';
import { refusal } from '../i18n.js';
import { instrument, livePnl, on, state } from '../store.js';

const COLUMNS = [
  { key: 'positions.symbol' }, { key: 'positions.side' }, { key: 'positions.quantity', num: true },
  { key: 'positions.average_price', num: true }, { key: 'positions.mark', num: true },
  { key: 'positions.pnl', num: true }, { key: 'positions.actions' },
];

/** ``text`` (a plain decimal) in units of 10^-``decimals``, exactly: quantities compared without floating point. */
function units(text, decimals) {
  const [whole, fraction = ''] = text.split('.');
  return BigInt(whole + fraction.padEnd(decimals, '0'));
}

/** Why ``wanted`` cannot close part of a position of ``held`` (both plain decimals), or null: more than is held, or
 *  off the lot step or under the minimum (the whole position always closes). */
function closeProblem(wanted, held, info) {
  const step = String(info?.board_lot || info?.lot_step || '0.01');
  const least = String(info?.min_quantity || step);
  const decimals = Math.max(...[wanted, held, step, least].map(decimalsOf));
  const [want, have, lot, min] = [wanted, held, step, least].map((value) => units(value, decimals));
  if (want > have) return message('positions.close_too_much', { quantity: held });
  if (want === have) return null;
  if (want <= 0n || want < min || want % lot !== 0n) return message('positions.close_bad_quantity', { step, min: least });
  return null;
}

export default {
  type: 'positions',
  title: 'panel.positions',
  size: { w: 5, h: 4, minW: 3, minH: 2 },

  mount(body) {
    const { table: grid, body: rows } = table(COLUMNS);
    const note = el('p', { class: 'result', role: 'status' });
    body.append(el('div', { class: 'scroll' }, grid), note);
    let live = [];   // [{position, mark, pnl cells}]
    const typed = new Map();   // position id -> the quantity to close the trader typed, kept across redraws

    const close = async (position, text) => {
      const held = String(position.quantity).replace(/^-/, '');
      const quantity = parseDecimal(text);
      const problem = closeProblem(quantity || '0', held, instrument(position.symbol));
      if (problem) {
        note.className = 'result error';
        show(note, problem.key, problem.params);
        return;
      }
      typed.delete(position.position_id);
      const order = { symbol: position.symbol, side: Number(position.quantity) > 0 ? 'sell' : 'buy', type: 'market',
        quantity };
      if (state.account?.position_mode === 'hedging') order.position_id = position.position_id;   // netting refuses ids
      try {
        const placed = await api('POST', accountPath(state.accountId, '/orders'), { body: order });
        note.className = `result ${placed.status === 'rejected' ? 'error' : 'ok'}`;
        if (placed.status === 'rejected') {
          show(note, 'ticket.rejected', { reason: refusal(placed.reject_code, placed.reject_reason) });
        } else if (quantity === held) show(note, 'positions.close_sent', { symbol: position.symbol });
        else show(note, 'positions.close_part_sent', { symbol: position.symbol, quantity });
      } catch (error) {
        note.className = 'result error';
        show(note, 'ticket.refused', { reason: refusal(error.code, error.reason || error.message) });
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
      if (rows.contains(document.activeElement) && document.activeElement.matches('input')) return;   // typing
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
          closeCell(position, quantity));
      }) : [emptyRow(COLUMNS.length, 'positions.none')]));
      paintLive();
    };

    const closeCell = (position, held) => {
      const input = el('input', { class: 'close-quantity', inputmode: 'decimal', dir: 'ltr', autocomplete: 'off',
        value: typed.get(position.position_id) ?? held, 'aria-label': t('positions.close_quantity'),
        title: t('positions.close_quantity') });
      const send = () => { input.blur(); close(position, input.value); };
      input.addEventListener('input', () => typed.set(position.position_id, input.value));
      input.addEventListener('keydown', (event) => { if (event.key === 'Enter') send(); });
      return el('td', { class: 'actions' }, input,
        el('button', { type: 'button', class: 'close-position', onclick: send }, t('positions.close')));
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
