// The optional look before an order goes: a modal dialog with what is about to be sent and roughly what it is
// worth; Enter sends, Escape cancels. Whether to ask is the trader's choice, kept in this browser.

import { el } from '/shared/dom.js';
import { currencyDecimals, formatNumber, isRtl, t } from '/shared/i18n.js';
import { decimalsFor } from './dom.js';

const STORAGE_KEY = 'dt.confirm-orders';

export const confirming = () => localStorage.getItem(STORAGE_KEY) === 'yes';

export function setConfirming(on) { localStorage.setItem(STORAGE_KEY, on ? 'yes' : 'no'); }

/** The price the order is valued at: its limit, else its trigger, else the side of the quote it would take. */
function valuedAt(order, quote) {
  if (order.price) return { price: order.price, market: false };
  if (order.stop_price) return { price: order.stop_price, market: false };
  const taken = order.side === 'buy' ? quote?.ask : quote?.bid;
  return taken ? { price: String(taken), market: true } : null;
}

/** Ask about ``order`` (the request body), of the ticket's ``kind`` of order on ``info``; resolves true to send. */
export function confirmOrder(order, kind, info, quote) {
  const priceDecimals = info ? info.priceDecimals : decimalsFor(order.price, 2);
  const at = valuedAt(order, quote);
  const currency = info?.quote_currency || '';
  const value = at ? Number(order.quantity) * Number(info?.contract_size || 1) * Number(at.price) : null;
  const number = (text, decimals) => el('bdi', { dir: 'ltr', class: 'num' }, formatNumber(text, decimals));
  const priceText = at ? formatNumber(at.price, priceDecimals) : '—';
  const line = (key, name, ...shown) => [el('dt', {}, t(key)), el('dd', { dataset: { confirm: name } }, ...shown)];
  const send = el('button', { type: 'button', class: 'primary confirm-send' }, t('confirm.send'));
  const cancel = el('button', { type: 'button', class: 'confirm-cancel' }, t('confirm.cancel'));
  const dialog = el('dialog', { class: 'order-confirm', dir: isRtl() ? 'rtl' : 'ltr',
    'aria-labelledby': 'confirm-title' },
    el('h2', { id: 'confirm-title' }, t('confirm.title')),
    el('dl', {},
      ...line('confirm.side', 'side', el('span', { class: `side ${order.side}` }, t(`side.${order.side}`))),
      ...line('confirm.quantity', 'quantity', number(order.quantity, decimalsFor(order.quantity,
        info ? info.quantityDecimals : 0))),
      ...line('confirm.symbol', 'symbol', el('bdi', {}, order.symbol)),
      ...line('confirm.type', 'type', t(`order_type.${kind}`)),
      ...line('confirm.price', 'price', at?.market
        ? t('confirm.at_market', { price: `\u2066${priceText}\u2069` }) : el('bdi', { dir: 'ltr' }, priceText)),
      ...line('confirm.value', 'value', value === null ? '—' : number(value.toFixed(currencyDecimals(currency)),
        currencyDecimals(currency)), ' ', el('bdi', {}, currency))),
    el('div', { class: 'confirm-buttons' }, cancel, send),
    el('p', { class: 'muted' }, t('confirm.keys')));
  document.body.append(dialog);
  return new Promise((resolve) => {
    const finish = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    send.addEventListener('click', () => finish(true));
    cancel.addEventListener('click', () => finish(false));
    dialog.addEventListener('cancel', (event) => { event.preventDefault(); finish(false); });   // Escape
    dialog.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') { event.preventDefault(); finish(event.target !== cancel); }
    });
    dialog.showModal();
    send.focus();
  });
}
