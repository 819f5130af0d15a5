// The trader's working orders and position on the chart: a price line per open order of the shown symbol
// (side, quantity, type), the position's average price, and take-profit and stop-loss lines. An order's line
// has a grip: drag it (mouse, pen or finger: pointer events) and release, confirm, and the order is amended
// through PATCH /api/accounts/{id}/orders/{cl_ord_id}; if the server refuses, the line goes back and says why.

import { LineStyle } from '/vendor/lightweight-charts/dist/lightweight-charts.standalone.production.mjs';
import { api } from '/shared/api.js';
import { el } from '/shared/dom.js';
import { formatNumber, t } from '/shared/i18n.js';
import { accountPath, refresh } from '../data.js';
import { refusal } from '../i18n.js';
import { instrument, state } from '../store.js';

const COLOURS = { buy: '#26a69a', sell: '#ef5350', position: '#4f8ef7', take_profit: '#66bb6a', stop_loss: '#ff7043' };

/** The lines an open order puts on the chart: what it is, where, and which field a drag amends (none: fixed). */
function orderLines(order) {
  const side = order.side;
  const what = { order: order.cl_ord_id, side, quantity: order.quantity, type: order.type };
  if (order.parent_id && order.type === 'take_profit') {
    return [{ ...what, role: 'take_profit', price: order.stop_price, field: 'stop_price' }];   // touched, then market
  }
  if (order.parent_id && (order.type === 'stop' || order.type === 'stop_limit')) {
    return [{ ...what, role: 'stop_loss', price: order.stop_price, field: 'stop_price' }];
  }
  const lines = [];
  if (order.type === 'limit') lines.push({ ...what, role: side, price: order.price, field: 'price' });
  if (order.type === 'stop' || order.type === 'stop_limit' || order.type === 'take_profit') lines.push({ ...what,
    role: side, price: order.stop_price, field: 'stop_price' });
  if (order.type === 'trailing_stop' && order.stop_price) lines.push({ ...what, role: side, price: order.stop_price });
  // a bracket still waiting for its entry: where its legs will sit
  if (order.take_profit) lines.push({ ...what, role: 'take_profit', price: order.take_profit });
  if (order.stop_loss) lines.push({ ...what, role: 'stop_loss', price: order.stop_loss });
  return lines.filter((line) => line.price != null);
}

export class OrderLines {
  /** ``confirm(key, params)`` resolves true to go ahead; ``say(kind, key, params)`` reports the outcome. */
  constructor(chart, series, holder, { confirm, say }) {
    this.chart = chart;
    this.series = series;
    this.confirm = confirm;
    this.say = say;
    this.symbol = null;
    this.lines = [];    // {spec, line, grip}
    this.layer = el('div', { class: 'chart-lines' });
    holder.append(this.layer);
    this.holder = holder;
  }

  label(spec) {
    const info = instrument(this.symbol);
    const quantity = formatNumber(spec.quantity, info ? info.quantityDecimals : 2);
    if (spec.role === 'position') return t('chart.line.position', { quantity });
    const order = `${t(`side.${spec.side}`)} ${quantity} ${t(`order_type.${spec.type}`)}`;
    if (spec.role === 'take_profit') return t('chart.line.take_profit', { order });
    if (spec.role === 'stop_loss') return t('chart.line.stop_loss', { order });
    return order;
  }

  /** Redraw from the account's open orders and positions of ``symbol``. */
  show(symbol) {
    this.symbol = symbol;
    if (this.dragging) return;   // the order list moved under a drag: redrawn when it ends
    for (const { line } of this.lines) this.series.removePriceLine(line);
    this.layer.replaceChildren();
    const specs = [
      ...state.positions.filter((p) => p.symbol === symbol && Number(p.quantity) !== 0).map((p) => ({
        role: 'position', price: p.average_price, quantity: p.quantity, position: p.position_id })),
      ...state.orders.filter((o) => o.symbol === symbol).flatMap(orderLines),
    ];
    this.lines = specs.map((spec) => {
      const title = this.label(spec);
      const line = this.series.createPriceLine({ price: Number(spec.price), color: COLOURS[spec.role],
        lineWidth: 1, lineStyle: spec.role === 'position' ? LineStyle.Solid : LineStyle.LargeDashed,
        axisLabelVisible: true, title });
      const grip = spec.field ? this.grip(spec, title) : null;
      return { spec, line, grip };
    });
    this.holder.dataset.lines = String(this.lines.length);
    this.place();
  }

  grip(spec, title) {
    const grip = el('button', { type: 'button', class: `chart-grip ${spec.role}`, dataset: { order: spec.order,
      role: spec.role, price: spec.price }, 'aria-label': t('chart.line.drag', { order: title }),
    title: t('chart.line.drag', { order: title }) }, '⇕');
    grip.addEventListener('pointerdown', (event) => this.grab(event, spec));
    this.layer.append(grip);
    return grip;
  }

  /** Keep the grips on their lines as the price scale moves; grips of lines close together stand side by side. */
  place() {
    const placed = [];   // y of the grips already placed
    for (const { spec, line, grip } of this.lines) {
      if (!grip) continue;
      const y = this.series.priceToCoordinate(line.options().price);
      grip.hidden = y === null;
      grip.dataset.price = spec.price;
      if (y === null) continue;
      grip.style.top = `${Math.round(y)}px`;
      grip.style.left = `${4 + 44 * placed.filter((other) => Math.abs(other - y) < 34).length}px`;
      placed.push(y);
    }
  }

  grab(event, spec) {
    const entry = this.lines.find((l) => l.spec === spec);
    if (!entry || this.dragging) return;
    event.preventDefault();
    event.stopPropagation();
    const grip = entry.grip;
    grip.setPointerCapture(event.pointerId);
    this.chart.applyOptions({ handleScroll: false, handleScale: false });
    const info = instrument(this.symbol);
    const tick = Number(info?.tick_size || 0.00001);
    const decimals = info ? info.priceDecimals : 5;
    const top = this.holder.getBoundingClientRect().top;
    let price = Number(spec.price);
    this.dragging = true;
    grip.classList.add('dragging');
    const move = (e) => {
      const raw = this.series.coordinateToPrice(e.clientY - top);
      if (raw === null) return;
      price = Math.round(raw / tick) * tick;
      entry.line.applyOptions({ price });
      grip.style.top = `${Math.round(this.series.priceToCoordinate(price) ?? e.clientY - top)}px`;
    };
    const release = async () => {
      grip.removeEventListener('pointermove', move);
      grip.removeEventListener('pointerup', release);
      grip.removeEventListener('pointercancel', release);
      grip.classList.remove('dragging');
      this.chart.applyOptions({ handleScroll: true, handleScale: true });
      const text = price.toFixed(decimals);
      if (text === Number(spec.price).toFixed(decimals)) {
        this.dragging = false;
        return;
      }
      const order = this.label(spec);
      const shown = formatNumber(text, decimals);
      const go = await this.confirm('chart.amend.confirm', { order, price: shown });
      if (go) await this.amend(spec, text, { order, price: shown });
      else this.say('', null);
      this.dragging = false;
      this.show(this.symbol);   // the amended price once the order says so; else where it was
    };
    grip.addEventListener('pointermove', move);
    grip.addEventListener('pointerup', release);
    grip.addEventListener('pointercancel', release);
  }

  async amend(spec, price, words) {
    const order = state.orders.find((o) => o.cl_ord_id === spec.order);
    try {
      await api('PATCH', accountPath(state.accountId, `/orders/${encodeURIComponent(spec.order)}`),
        { body: { quantity: order?.quantity ?? spec.quantity, [spec.field]: price } });
      if (order) order[spec.field] = price;   // until the venue's answer comes down the account stream
      this.say('ok', 'chart.amend.sent', words);
    } catch (error) {
      this.say('error', 'chart.amend.refused', { reason: refusal(error.code, error.reason || error.message) });
    }
    refresh('orders');
  }

  destroy() {
    this.layer.remove();
  }
}
