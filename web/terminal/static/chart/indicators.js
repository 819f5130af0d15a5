// The studies a trader turns on from the chart's toolbar: moving average and exponential moving average (with a
// period), Bollinger bands (20, 2), RSI (14) in a pane of its own, and a volume histogram (the bars' ticks: trades
// on Binance, price updates on the venues that report no volume). Computed in the browser from the candles shown.

import { HistogramSeries, LineSeries, LineStyle }
  from '/vendor/lightweight-charts/dist/lightweight-charts.standalone.production.mjs';
import { formatNumber } from '/shared/i18n.js';

export const STUDIES = ['ma', 'ema', 'bb', 'rsi', 'volume'];
export const PERIODS = { ma: 20, ema: 50 };   // the defaults of the studies with a period the trader sets
const BOLLINGER = { period: 20, width: 2 };
const RSI_PERIOD = 14;
const COLOURS = { ma: '#f6c343', ema: '#4fc3f7', bb: '#ba68c8', rsi: '#ffb74d' };
const QUIET = { priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false, lineWidth: 1 };

/** Simple moving average of ``values`` over ``period``: null until there are enough. */
export function sma(values, period) {
  let sum = 0;
  return values.map((value, index) => {
    sum += value;
    if (index >= period) sum -= values[index - period];
    return index >= period - 1 ? sum / period : null;
  });
}

/** Exponential moving average, seeded with the simple average of the first ``period`` values. */
export function ema(values, period) {
  const k = 2 / (period + 1);
  let previous = null;
  return values.map((value, index) => {
    if (index < period - 1) return null;
    previous = previous === null ? values.slice(0, period).reduce((a, b) => a + b, 0) / period
      : value * k + previous * (1 - k);
    return previous;
  });
}

/** Middle (SMA), upper and lower bands at ``width`` population standard deviations. */
export function bollinger(values, period = BOLLINGER.period, width = BOLLINGER.width) {
  const middle = sma(values, period);
  return values.map((_, index) => {
    if (middle[index] === null) return null;
    const window = values.slice(index - period + 1, index + 1);
    const spread = Math.sqrt(window.reduce((sum, v) => sum + (v - middle[index]) ** 2, 0) / period);
    return { middle: middle[index], upper: middle[index] + width * spread, lower: middle[index] - width * spread };
  });
}

/** Wilder's relative strength index. */
export function rsi(values, period = RSI_PERIOD) {
  let gain = 0;
  let loss = 0;
  return values.map((value, index) => {
    if (index === 0) return null;
    const change = value - values[index - 1];
    const up = Math.max(change, 0);
    const down = Math.max(-change, 0);
    if (index <= period) {
      gain += up / period;
      loss += down / period;
      if (index < period) return null;
    } else {
      gain = (gain * (period - 1) + up) / period;
      loss = (loss * (period - 1) + down) / period;
    }
    return loss === 0 ? 100 : 100 - 100 / (1 + gain / loss);
  });
}

const points = (candles, values) => candles.flatMap((c, i) => (values[i] === null ? [] : [{ time: c.time,
  value: values[i] }]));

/** The studies of one chart: ``chosen`` is the panel's saved {ma: {on, period}, ema: {...}, bb, rsi, volume}. */
export class Studies {
  constructor(chart, chosen) {
    this.chart = chart;
    this.chosen = chosen;
    this.series = new Map();   // study -> its series
  }

  isOn(name) { return Boolean(PERIODS[name] ? this.chosen[name]?.on : this.chosen[name]); }

  period(name) { return Number(this.chosen[name]?.period) || PERIODS[name]; }

  set(name, on, period) {
    this.chosen[name] = PERIODS[name] ? { on, period: period || this.period(name) } : on;
    this.drop(name);
  }

  /** Draw every study that is on from ``candles`` (all of them: a study needs its whole window). */
  draw(candles) {
    const closes = candles.map((c) => c.close);
    for (const name of STUDIES) {
      if (!this.isOn(name)) {
        this.drop(name);
        continue;
      }
      const series = this.series.get(name) || this.create(name);
      if (name === 'ma') series[0].setData(points(candles, sma(closes, this.period('ma'))));
      if (name === 'ema') series[0].setData(points(candles, ema(closes, this.period('ema'))));
      if (name === 'rsi') series[0].setData(points(candles, rsi(closes)));
      if (name === 'bb') {
        const bands = bollinger(closes);
        ['upper', 'middle', 'lower'].forEach((band, i) => series[i].setData(points(candles,
          bands.map((b) => (b ? b[band] : null)))));
      }
      if (name === 'volume') {
        series[0].setData(candles.map((c) => ({ time: c.time, value: c.ticks || 0,
          color: c.close >= c.open ? 'rgba(38,166,154,0.45)' : 'rgba(239,83,80,0.45)' })));
      }
    }
  }

  create(name) {
    let series;
    if (name === 'volume') {
      series = [this.chart.addSeries(HistogramSeries, { priceScaleId: 'volume', priceFormat: { type: 'volume' },
        priceLineVisible: false, lastValueVisible: false })];
      this.chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    } else if (name === 'rsi') {
      series = [this.chart.addSeries(LineSeries, { ...QUIET, color: COLOURS.rsi, lastValueVisible: true,
        priceFormat: { type: 'custom', minMove: 0.1, formatter: (value) => formatNumber(value, 1) } }, 1)];
      for (const level of [70, 30]) {
        series[0].createPriceLine({ price: level, color: '#5c6b7a', lineStyle: LineStyle.Dashed, lineWidth: 1,
          axisLabelVisible: true, title: '' });
      }
      const [main, pane] = this.chart.panes();
      main.setStretchFactor(3);
      pane.setStretchFactor(1);
    } else if (name === 'bb') {
      series = [0, 1, 2].map((i) => this.chart.addSeries(LineSeries, { ...QUIET, color: COLOURS.bb,
        lineStyle: i === 1 ? LineStyle.Dotted : LineStyle.Solid }));
    } else {
      series = [this.chart.addSeries(LineSeries, { ...QUIET, color: COLOURS[name], lineWidth: 2 })];
    }
    this.series.set(name, series);
    return series;
  }

  drop(name) {
    const series = this.series.get(name);
    if (!series) return;
    series.forEach((s) => this.chart.removeSeries(s));
    this.series.delete(name);
    if (name === 'rsi' && this.chart.panes().length > 1) this.chart.removePane(1);
  }

  /** The studies drawn now, for the page's test hook and for people reading the DOM. */
  shown() { return [...this.series.keys()]; }
}
