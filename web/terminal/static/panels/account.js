// Account summary: balance and used margin from the server; equity, free margin and margin level move with the
// live P&L of the open positions.

import { el } from '/shared/dom.js';
import { currencyDecimals, formatPercent, onLanguage } from '/shared/i18n.js';
import { label, numCell, setNum } from '../dom.js';
import { livePnl, on, state } from '../store.js';

const ROWS = ['balance', 'equity', 'used_margin', 'free_margin', 'margin_level', 'pnl'];

export default {
  type: 'account',
  title: 'panel.account',
  size: { w: 3, h: 4, minW: 2, minH: 3 },

  mount(body) {
    const head = el('p', { class: 'account-head' });
    const cells = {};
    const list = el('dl', { class: 'summary' });
    for (const name of ROWS) {
      cells[name] = numCell(null, 2, { tag: 'dd', class: name });
      list.append(el('div', { class: 'summary-row', dataset: { name } }, label(`account.${name}`, 'dt'), cells[name]));
    }
    body.append(head, list);

    const paint = () => {
      const account = state.account;
      if (!account) return;
      head.replaceChildren(el('bdi', {}, account.account_id), ' · ', label('account.currency'), ' ',
        el('bdi', {}, account.base_currency), ' · ', label('account.leverage'), ' ',
        el('bdi', { dir: 'ltr' }, `1:${Number(account.leverage)}`));
      const serverPnl = state.positions.reduce((sum, p) => sum + Number(p.unrealised_pnl || 0), 0);
      const pnl = state.positions.reduce((sum, p) => sum + livePnl(p).pnl, 0);
      // The server's equity already holds its own P&L figure; swap it for the live one.
      const equity = Number(account.equity) - serverPnl + pnl;
      const used = Number(account.used_margin);
      const decimals = currencyDecimals(account.base_currency);
      setNum(cells.balance, account.balance, decimals);
      setNum(cells.equity, equity, decimals);
      setNum(cells.used_margin, account.used_margin, decimals);
      setNum(cells.free_margin, equity - used, decimals);
      cells.margin_level.textContent = used > 0 ? formatPercent((equity / used) * 100) : '—';
      setNum(cells.pnl, pnl, decimals, { signed: true });
      cells.pnl.classList.toggle('up', pnl > 0);
      cells.pnl.classList.toggle('down', pnl < 0);
    };

    paint();
    const stops = [on('account', paint), on('positions', paint), on('quotes', paint), onLanguage(paint)];
    return { destroy: () => stops.forEach((stop) => stop()) };
  },
};
