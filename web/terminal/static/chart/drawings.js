// A trader's own lines on the chart: a trend line (two clicks or taps) and a horizontal line (one), kept per
// symbol in this browser (localStorage: a phone saves no layout), removed with the toolbar's clear button.

import { LineSeries, LineStyle }
  from '/vendor/lightweight-charts/dist/lightweight-charts.standalone.production.mjs';

const STORE = 'dt.chart.drawings';
const COLOUR = '#e0a040';

function saved() {
  try {
    return JSON.parse(localStorage.getItem(STORE)) || {};
  } catch {
    return {};
  }
}

export class Drawings {
  /** ``priceAt(y)`` is the price under a point, on the tick; ``prompt(key)`` says what the next pick does. Picks
   *  are the holder's own pointer events (a mouse click or a tap; a drag is the chart panning): the chart's click
   *  events drop a second click that comes soon after the first, which is how two points are often placed. */
  constructor(chart, series, holder, { priceAt, prompt, changed }) {
    this.chart = chart;
    this.series = series;
    this.holder = holder;
    this.priceAt = priceAt;
    this.prompt = prompt;
    this.changed = changed;
    this.symbol = null;
    this.tool = null;        // 'trend' | 'horizontal' | null
    this.first = null;       // a trend line's first point while the second is awaited
    this.drawn = [];         // what is on the chart now: price lines and line series
    this.down = null;
    this.onDown = (event) => { this.down = { x: event.clientX, y: event.clientY }; };
    this.onUp = (event) => {
      const down = this.down;
      this.down = null;
      if (!down || Math.abs(event.clientX - down.x) + Math.abs(event.clientY - down.y) > 6) return;
      const box = holder.getBoundingClientRect();
      this.pick(event.clientX - box.left, event.clientY - box.top);
    };
    holder.addEventListener('pointerdown', this.onDown);
    holder.addEventListener('pointerup', this.onUp);
  }

  list() { return saved()[this.symbol] || []; }

  save(list) {
    const all = saved();
    if (list.length) all[this.symbol] = list;
    else delete all[this.symbol];
    localStorage.setItem(STORE, JSON.stringify(all));
    this.render();
    this.changed();
  }

  show(symbol) {
    this.symbol = symbol;
    this.arm(null);
    this.render();
  }

  /** Pick a tool (the same again puts it down). */
  arm(tool) {
    this.tool = tool === this.tool ? null : tool;
    this.first = null;
    this.prompt(this.tool === 'trend' ? 'chart.draw.first_point' : this.tool === 'horizontal'
      ? 'chart.draw.price_point' : null);
    return this.tool;
  }

  clear() {
    this.arm(null);
    this.save([]);
  }

  pick(x, y) {
    if (!this.tool || !this.symbol || y > this.chart.panes()[0].getHeight()) return;
    const time = this.chart.timeScale().coordinateToTime(x);
    const price = this.priceAt(y);
    if (time === null || price === null) return;
    const point = { time, price };
    if (this.tool === 'horizontal') {
      this.tool = null;
      this.prompt(null);
      this.save([...this.list(), { kind: 'horizontal', price }]);
    } else if (!this.first) {
      this.first = point;
      this.prompt('chart.draw.second_point');
    } else if (point.time !== this.first.time) {
      const line = { kind: 'trend', from: this.first, to: point };
      this.tool = null;
      this.first = null;
      this.prompt(null);
      this.save([...this.list(), line]);
    }
  }

  render() {
    for (const item of this.drawn) {
      if (item.series) this.chart.removeSeries(item.series);
      else this.series.removePriceLine(item.line);
    }
    this.drawn = this.list().map((drawing) => {
      if (drawing.kind === 'horizontal') {
        return { line: this.series.createPriceLine({ price: drawing.price, color: COLOUR, lineWidth: 1,
          lineStyle: LineStyle.Dashed, axisLabelVisible: true, title: '' }) };
      }
      const ends = [drawing.from, drawing.to].sort((a, b) => a.time - b.time);
      const series = this.chart.addSeries(LineSeries, { color: COLOUR, lineWidth: 2, priceLineVisible: false,
        lastValueVisible: false, crosshairMarkerVisible: false, autoscaleInfoProvider: () => null });
      series.setData(ends.map((end) => ({ time: end.time, value: end.price })));
      return { series };
    });
  }

  count() { return this.list().length; }

  destroy() {
    this.holder.removeEventListener('pointerdown', this.onDown);
    this.holder.removeEventListener('pointerup', this.onUp);
  }
}
