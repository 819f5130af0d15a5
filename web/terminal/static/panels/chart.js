// Candlestick chart of the selected instrument (lightweight-charts): history from /api/bars, then the live bid
// moves the last candle and opens a new one when its interval ends.

import { CandlestickSeries, ColorType, createChart }
  from '/vendor/lightweight-charts/dist/lightweight-charts.standalone.production.mjs';
import { get } from '/shared/api.js';
import { el } from '/shared/dom.js';
import { currentLanguage, formatNumber, formatTick, formatTime, onLanguage, t } from '/shared/i18n.js';
import { instrument, on, state } from '../store.js';

export const INTERVALS = { '1s': 1, '1m': 60, '5m': 300, '15m': 900, '1h': 3600, '1d': 86400 };

/** Seconds since the epoch of an ISO time (Python's six fraction digits included). */
export function epochSeconds(iso) {
  return Date.parse(String(iso).replace(/(\.\d{3})\d+/, '$1')) / 1000;
}

export default {
  type: 'chart',
  title: 'panel.chart',
  size: { w: 6, h: 7, minW: 3, minH: 4 },

  mount(body, settings) {
    let interval = INTERVALS[settings.interval] ? settings.interval : '1m';
    const caption = el('bdi', { class: 'chart-symbol' });
    const buttons = Object.keys(INTERVALS).map((name) => el('button', {
      type: 'button', class: 'interval', dataset: { interval: name }, 'aria-pressed': String(name === interval),
      'data-i18n': `chart.interval.${name}`, 'data-i18n-title': `chart.interval_hint.${name}`,
      title: t(`chart.interval_hint.${name}`),
    }, t(`chart.interval.${name}`)));
    const status = el('span', { class: 'muted chart-status', role: 'status' });
    const holder = el('div', { class: 'chart-holder', dir: 'ltr' });
    body.append(el('div', { class: 'toolbar', role: 'toolbar', 'data-i18n-aria-label': 'chart.intervals',
      'aria-label': t('chart.intervals') }, caption, ...buttons, status), holder);

    const chart = createChart(holder, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: '#0e1319' }, textColor: '#aab4c0', attributionLogo: true },
      grid: { vertLines: { color: '#1c2530' }, horzLines: { color: '#1c2530' } },
      rightPriceScale: { borderColor: '#2a3542' },
      timeScale: { borderColor: '#2a3542', timeVisible: true, secondsVisible: interval === '1s',
        tickMarkFormatter: (time, kind) => formatTick(time, kind) },
    });
    const series = chart.addSeries(CandlestickSeries, {
      upColor: '#26a69a', downColor: '#ef5350', wickUpColor: '#26a69a', wickDownColor: '#ef5350', borderVisible: false,
    });
    let symbol = null;
    let last = null;       // the candle being built: {time, open, high, low, close}
    let loading = 0;       // a newer load makes an older answer void

    const localize = () => {
      const info = instrument(symbol);
      chart.applyOptions({ localization: { locale: currentLanguage(),
        priceFormatter: (price) => formatNumber(price, info ? info.priceDecimals : 2),
        timeFormatter: (time) => formatTime(new Date(time * 1000)) } });
    };

    const load = async () => {
      symbol = state.selected;
      caption.textContent = symbol || '';
      const info = instrument(symbol);
      if (!info) return;
      series.applyOptions({ priceFormat: { type: 'price', precision: info.priceDecimals,
        minMove: Number(info.tick_size) } });
      chart.applyOptions({ timeScale: { secondsVisible: interval === '1s' } });
      localize();
      const ticket = ++loading;
      status.textContent = t('chart.loading');
      try {
        const bars = await get(`/api/bars?symbol=${encodeURIComponent(symbol)}&interval=${interval}&limit=500`);
        if (ticket !== loading) return;
        const candles = bars.map((b) => ({ time: epochSeconds(b.start), open: Number(b.open), high: Number(b.high),
          low: Number(b.low), close: Number(b.close) }));
        series.setData(candles);
        last = candles.length ? { ...candles[candles.length - 1] } : null;
        status.textContent = candles.length ? '' : t('chart.no_data');
        chart.timeScale().scrollToRealTime();
      } catch (error) {
        if (ticket === loading) status.textContent = t('chart.load_failed', { reason: error.reason || error.message });
      }
    };

    const tick = (changed) => {
      if (!symbol || !changed.has(symbol)) return;
      const quote = state.quotes.get(symbol);
      if (!quote || quote.bid == null) return;
      const price = Number(quote.bid);
      const seconds = INTERVALS[interval];
      const start = Math.floor(epochSeconds(quote.time || new Date().toISOString()) / seconds) * seconds;
      if (last && start < last.time) return;   // a late quote for a closed candle
      if (!last || start > last.time) last = { time: start, open: price, high: price, low: price, close: price };
      else last = { ...last, high: Math.max(last.high, price), low: Math.min(last.low, price), close: price };
      series.update(last);
      if (status.textContent === t('chart.no_data')) status.textContent = '';
    };

    body.querySelector('.toolbar').addEventListener('click', (event) => {
      const button = event.target.closest('button.interval');
      if (!button || button.dataset.interval === interval) return;
      interval = button.dataset.interval;
      settings.interval = interval;
      buttons.forEach((b) => b.setAttribute('aria-pressed', String(b === button)));
      settings.changed();
      load();
    });

    load();
    const stops = [on('selected', load), on('quotes', tick), onLanguage(localize)];
    return {
      destroy() {
        stops.forEach((stop) => stop());
        chart.remove();
      },
    };
  },
};
