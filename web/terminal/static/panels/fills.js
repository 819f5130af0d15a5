// Fills history, newest first, with the P&L each closing fill realised (in the account's currency).

import { el } from '/shared/dom.js';
import { currencyDecimals, formatTime, onLanguage, t } from '/shared/i18n.js';
import { decimalsFor, emptyRow, numCell, table } from '../dom.js';
import { instrument, on, state } from '../store.js';

const COLUMNS = [
  { key: 'fills.time' }, { key: 'fills.symbol' }, { key: 'fills.side' }, { key: 'fills.quantity', num: true },
  { key: 'fills.price', num: true }, { key: 'fills.commission', num: true }, { key: 'fills.realised', num: true },
];

export default {
  type: 'fills',
  title: 'panel.fills',
  size: { w: 5, h: 4, minW: 3, minH: 2 },

  mount(body) {
    const { table: grid, body: rows } = table(COLUMNS);
    body.append(el('div', { class: 'scroll' }, grid));

    const render = () => {
      const money = currencyDecimals(state.account?.base_currency || 'USD');
      rows.replaceChildren(...(state.fills.length ? state.fills.slice(0, 200).map((fill) => {
        const info = instrument(fill.symbol);
        const realised = numCell(fill.realised_pnl, money, { class: 'realised', signed: true });
        realised.classList.toggle('up', Number(fill.realised_pnl) > 0);
        realised.classList.toggle('down', Number(fill.realised_pnl) < 0);
        return el('tr', { dataset: { execId: fill.exec_id, symbol: fill.symbol } },
          el('td', { class: 'time' }, formatTime(fill.at)),
          el('td', {}, el('bdi', {}, fill.symbol)),
          el('td', { class: `side ${fill.side}` }, t(`side.${fill.side}`)),
          numCell(fill.quantity, decimalsFor(fill.quantity, info ? info.quantityDecimals : 0)),
          numCell(fill.price, info ? info.priceDecimals : decimalsFor(fill.price, 2), { class: 'price' }),
          numCell(fill.commission, decimalsFor(fill.commission, 2)), realised);
      }) : [emptyRow(COLUMNS.length, 'fills.none')]));
    };

    render();
    const stops = [on('fills', render), onLanguage(render)];
    return { destroy: () => stops.forEach((stop) => stop()) };
  },
};
