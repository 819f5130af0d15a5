// Candlestick chart of the selected instrument (lightweight-charts): history from /api/bars (the venue's past
// backfilled by the hub), then the live bid moves the last candle and opens a new one when its interval ends. On
// top: the studies (chart/indicators.js), the trader's drawings (chart/drawings.js) and the working orders and
// position, whose lines can be dragged to amend (chart/lines.js). The holder's data-bars, data-studies,
// data-drawings and data-lines say what is drawn (what a test reads).

import { CandlestickSeries, ColorType, createChart }
  from '/vendor/lightweight-charts/dist/lightweight-charts.standalone.production.mjs';
import { get } from '/shared/api.js';
import { el } from '/shared/dom.js';
import { currentLanguage, formatNumber, formatTick, formatTime, onLanguage, show, t } from '/shared/i18n.js';
import { Drawings } from '../chart/drawings.js';
import { PERIODS, STUDIES, Studies } from '../chart/indicators.js';
import { OrderLines } from '../chart/lines.js';
import { instrument, on, state } from '../store.js';

export const INTERVALS = { '1s': 1, '1m': 60, '5m': 300, '15m': 900, '1h': 3600, '1d': 86400 };

/** Seconds since the epoch of an ISO time (Python's six fraction digits included). */
export function epochSeconds(iso) {
  return Date.parse(String(iso).replace(/(\.\d{3})\d+/, '$1')) / 1000;
}

function toggle(dataset, key, hint, pressed) {
  return el('button', { type: 'button', class: 'chart-tool', dataset, 'aria-pressed': String(pressed),
    'data-i18n': key, 'data-i18n-title': hint, title: t(hint) }, t(key));
}

export default {
  type: 'chart',
  title: 'panel.chart',
  size: { w: 6, h: 7, minW: 3, minH: 4 },

  mount(body, settings) {
    let interval = INTERVALS[settings.interval] ? settings.interval : '1m';
    settings.studies = settings.studies && typeof settings.studies === 'object' ? settings.studies : {};
    const caption = el('bdi', { class: 'chart-symbol' });
    const buttons = Object.keys(INTERVALS).map((name) => el('button', {
      type: 'button', class: 'interval', dataset: { interval: name }, 'aria-pressed': String(name === interval),
      'data-i18n': `chart.interval.${name}`, 'data-i18n-title': `chart.interval_hint.${name}`,
      title: t(`chart.interval_hint.${name}`),
    }, t(`chart.interval.${name}`)));
    const status = el('span', { class: 'muted chart-status', role: 'status' });
    const holder = el('div', { class: 'chart-holder', dir: 'ltr' });
    const studyButtons = STUDIES.map((name) => toggle({ study: name }, `chart.study.${name}`,
      `chart.study.${name}_hint`, false));
    const periods = Object.fromEntries(Object.keys(PERIODS).map((name) => [name, el('input', {
      type: 'number', class: 'chart-period', min: '2', max: '500', step: '1', inputmode: 'numeric',
      dataset: { study: name }, 'data-i18n-aria-label': `chart.study.${name}_period`,
      'aria-label': t(`chart.study.${name}_period`) })]));
    const drawButtons = ['trend', 'horizontal'].map((tool) => toggle({ tool }, `chart.draw.${tool}`,
      `chart.draw.${tool}_hint`, false));
    const clear = el('button', { type: 'button', class: 'chart-clear', 'data-i18n': 'chart.draw.clear',
      'data-i18n-title': 'chart.draw.clear_hint', title: t('chart.draw.clear_hint') }, t('chart.draw.clear'));
    const note = el('span', { class: 'chart-note', role: 'status' });
    const question = el('span', { class: 'chart-question' });
    const amendYes = el('button', { type: 'button', class: 'primary chart-amend', 'data-i18n': 'chart.amend.ok' },
      t('chart.amend.ok'));
    const amendNo = el('button', { type: 'button', class: 'chart-keep', 'data-i18n': 'chart.amend.keep' },
      t('chart.amend.keep'));
    const confirmBar = el('div', { class: 'chart-confirm', role: 'alertdialog', 'aria-modal': 'false', hidden: true },
      question, amendYes, amendNo);
    body.append(
      el('div', { class: 'toolbar', role: 'toolbar', 'data-i18n-aria-label': 'chart.intervals',
        'aria-label': t('chart.intervals') }, caption, ...buttons, status),
      el('div', { class: 'toolbar chart-tools', role: 'toolbar', 'data-i18n-aria-label': 'chart.tools',
        'aria-label': t('chart.tools') },
      ...studyButtons.flatMap((button) => [button, periods[button.dataset.study] || []]),
      el('span', { class: 'chart-gap' }), ...drawButtons, clear),
      el('div', { class: 'chart-stage' }, holder, confirmBar, note));   // the two float: the chart never jumps

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
    const studies = new Studies(chart, settings.studies);
    let symbol = null;
    let candles = [];      // what is shown, the one being built last: {time, open, high, low, close, ticks}
    let loading = 0;       // a newer load makes an older answer void

    const say = (kind, key, params) => {
      note.className = `chart-note ${kind || ''}`.trim();
      show(note, key, params);
    };
    const onTick = (y) => {
      const raw = series.coordinateToPrice(y);
      const info = instrument(symbol);
      if (raw === null || !info) return null;
      const tick = Number(info.tick_size);
      return Number((Math.round(raw / tick) * tick).toFixed(info.priceDecimals));
    };
    let prompting = false;   // the note says what the drawing tool's next click does
    let answer = null;   // the pending confirmation's resolve
    const confirm = (key, params) => new Promise((resolve) => {
      answer?.(false);
      show(question, key, params);
      confirmBar.hidden = false;
      answer = (go) => {
        confirmBar.hidden = true;
        answer = null;
        resolve(go);
      };
      amendYes.focus();
    });
    amendYes.addEventListener('click', () => answer?.(true));
    amendNo.addEventListener('click', () => answer?.(false));
    confirmBar.addEventListener('keydown', (event) => { if (event.key === 'Escape') answer?.(false); });

    const marks = () => {
      holder.dataset.bars = String(candles.length);
      holder.dataset.studies = studies.shown().join(' ');
      holder.dataset.drawings = String(drawings.count());
    };
    const drawings = new Drawings(chart, series, holder, {
      priceAt: onTick,
      prompt: (key) => {
        drawButtons.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.tool === drawings?.tool)));
        if (key || prompting) say('', key);   // a prompt gone clears the note, an amend's outcome stays
        prompting = Boolean(key);
      },
      changed: () => marks(),
    });
    const lines = new OrderLines(chart, series, holder, { confirm, say });

    const showStudies = () => {
      studyButtons.forEach((b) => b.setAttribute('aria-pressed', String(studies.isOn(b.dataset.study))));
      for (const [name, input] of Object.entries(periods)) input.value = String(studies.period(name));
      studies.draw(candles);
      marks();
    };

    const localize = () => {
      const info = instrument(symbol);
      chart.applyOptions({ localization: { locale: currentLanguage(),
        timeFormatter: (time) => formatTime(new Date(time * 1000)) } });
      if (info) {   // per series, so the RSI pane keeps its own digits
        series.applyOptions({ priceFormat: { type: 'custom', minMove: Number(info.tick_size),
          formatter: (price) => formatNumber(price, info.priceDecimals) } });
      }
      if (symbol) lines.show(symbol);
    };

    const load = async () => {
      symbol = state.selected;
      caption.textContent = symbol || '';
      const info = instrument(symbol);
      if (!info) return;
      chart.applyOptions({ timeScale: { secondsVisible: interval === '1s' } });
      localize();
      drawings.show(symbol);
      const ticket = ++loading;
      status.textContent = t('chart.loading');
      try {
        const bars = await get(`/api/bars?symbol=${encodeURIComponent(symbol)}&interval=${interval}&limit=500`);
        if (ticket !== loading) return;
        candles = bars.map((b) => ({ time: epochSeconds(b.start), open: Number(b.open), high: Number(b.high),
          low: Number(b.low), close: Number(b.close), ticks: b.ticks }));
        series.setData(candles.map(({ ticks, ...candle }) => candle));
        drawings.render();   // a trend line's ends sit on this interval's times
        showStudies();
        status.textContent = candles.length ? '' : t('chart.no_data');
        chart.timeScale().scrollToRealTime();
        lines.place();
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
      const last = candles[candles.length - 1];
      if (last && start < last.time) return;   // a late quote for a closed candle
      if (!last || start > last.time) candles.push({ time: start, open: price, high: price, low: price, close: price,
        ticks: 1 });
      else candles[candles.length - 1] = { ...last, high: Math.max(last.high, price), low: Math.min(last.low, price),
        close: price, ticks: last.ticks + 1 };
      const { ticks, ...candle } = candles[candles.length - 1];
      series.update(candle);
      studies.draw(candles);
      marks();
      lines.place();
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
    body.querySelector('.chart-tools').addEventListener('click', (event) => {
      const study = event.target.closest('button[data-study]');
      const tool = event.target.closest('button[data-tool]');
      if (study) {
        const name = study.dataset.study;
        studies.set(name, !studies.isOn(name));
        showStudies();
        settings.changed();
      } else if (tool) {
        drawings.arm(tool.dataset.tool);
      } else if (event.target.closest('.chart-clear')) {
        drawings.clear();
      }
    });
    for (const [name, input] of Object.entries(periods)) {
      input.addEventListener('change', () => {
        const period = Math.round(Number(input.value));
        if (!(period >= 2 && period <= 500)) {
          input.value = String(studies.period(name));
          return;
        }
        studies.set(name, true, period);
        showStudies();
        settings.changed();
      });
    }

    chart.timeScale().subscribeVisibleLogicalRangeChange(() => lines.place());
    chart.subscribeCrosshairMove(() => lines.place());
    const resized = new ResizeObserver(() => requestAnimationFrame(() => lines.place()));
    resized.observe(holder);
    const redrawLines = () => { if (symbol) lines.show(symbol); };

    load();
    const stops = [on('selected', load), on('quotes', tick), onLanguage(localize), on('orders', redrawLines),
      on('positions', redrawLines)];
    return {
      destroy() {
        stops.forEach((stop) => stop());
        resized.disconnect();
        answer?.(false);
        drawings.destroy();
        lines.destroy();
        chart.remove();
      },
    };
  },
};
