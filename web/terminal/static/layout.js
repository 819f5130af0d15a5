// The panels in a gridstack grid: moved and resized with the mouse or the keyboard, added from a menu, removed,
// and saved (debounced) with PUT /api/layout so the next login finds them where they were.

import { api } from '/shared/api.js';
import { el } from '/shared/dom.js';
import { isRtl, onLanguage, t, translate } from '/shared/i18n.js';
import account from './panels/account.js';
import chart from './panels/chart.js';
import depth from './panels/depth.js';
import fills from './panels/fills.js';
import history from './panels/history.js';
import orders from './panels/orders.js';
import positions from './panels/positions.js';
import ticket from './panels/ticket.js';
import watchlist from './panels/watchlist.js';

export const PANELS = Object.fromEntries([watchlist, chart, ticket, positions, orders, account, fills, depth, history]
  .map((panel) => [panel.type, panel]));

const LAYOUT_VERSION = 1;
const SAVE_DELAY_MS = 700;

export const DEFAULT_PANELS = [
  { type: 'watchlist', x: 0, y: 0, w: 3, h: 7 },
  { type: 'chart', x: 3, y: 0, w: 6, h: 7 },
  { type: 'ticket', x: 9, y: 0, w: 3, h: 9 },
  { type: 'positions', x: 0, y: 7, w: 5, h: 4 },
  { type: 'depth', x: 5, y: 7, w: 4, h: 4 },
  { type: 'account', x: 9, y: 9, w: 3, h: 4 },
  { type: 'orders', x: 0, y: 11, w: 9, h: 4 },   // wide enough for its columns and buttons without scrolling
  { type: 'fills', x: 0, y: 15, w: 6, h: 6 },
  { type: 'history', x: 6, y: 15, w: 6, h: 6 },
];

/** Saved panels worth restoring: known types, once each, inside the grid. */
function usable(saved) {
  if (!saved || saved.version !== LAYOUT_VERSION || !Array.isArray(saved.panels)) return null;
  const seen = new Set();
  const panels = saved.panels.filter((p) => p && PANELS[p.type] && !seen.has(p.type) && seen.add(p.type)
    && [p.x, p.y, p.w, p.h].every((n) => Number.isInteger(n) && n >= 0) && p.x + p.w <= 12);
  return panels;
}

/** A panel's frame, as every view shows it: its translated title (and ``tools`` beside it) over the body the panel
 *  mounts into. */
export function panelFrame(panel, ...tools) {
  const head = el('div', { class: 'panel-head' }, el('h2', { 'data-i18n': panel.title }, t(panel.title)), ...tools);
  const body = el('div', { class: 'panel-body' });
  const frame = el('section', { class: `panel panel-${panel.type}`, dir: isRtl() ? 'rtl' : 'ltr' }, head, body);
  return { frame, head, body };
}

export class Layout {
  constructor(container, extra) {
    this.container = container;
    this.extra = extra;          // () => more to save with the layout (the selected symbol)
    this.instances = new Map();  // type -> {element, instance, settings}
    this.timer = null;
    this.restoring = false;
    this.grid = window.GridStack.init({
      column: 12, cellHeight: 56, margin: 3, animate: false,
      draggable: { handle: '.panel-head' }, resizable: { handles: 'se,e,s,w' },
    }, container);
    this.grid.on('change added removed', () => this.scheduleSave());
    this.stopLanguage = onLanguage(() => this.applyDirection());
  }

  /** Show the saved layout (or the default one). */
  restore(saved) {
    const panels = usable(saved) || DEFAULT_PANELS;
    this.restoring = true;
    this.grid.batchUpdate();
    for (const item of panels) this.add(item.type, item);
    this.grid.batchUpdate(false);
    this.restoring = false;
  }

  reset() {
    for (const type of [...this.instances.keys()]) this.remove(type);
    this.restore(null);
    this.scheduleSave();
  }

  has(type) { return this.instances.has(type); }

  instance(type) { return this.instances.get(type)?.instance; }

  add(type, where = null) {
    if (this.instances.has(type) || !PANELS[type]) return null;
    const panel = PANELS[type];
    const size = panel.size;
    const node = where
      ? { id: type, x: where.x, y: where.y, w: where.w, h: where.h }
      : { id: type, w: size.w, h: size.h, autoPosition: true };
    const element = this.grid.addWidget({ ...node, minW: size.minW, minH: size.minH });
    element.dataset.panel = type;
    const close = el('button', { type: 'button', class: 'panel-close', 'data-i18n-title': 'layout.remove_panel',
      title: t('layout.remove_panel'), 'data-i18n-aria-label': 'layout.remove_panel',
      'aria-label': t('layout.remove_panel'), onclick: () => this.remove(type) }, '×');
    const { frame, head, body } = panelFrame(panel, close);
    head.tabIndex = 0;
    head.setAttribute('role', 'group');
    head.dataset.i18nAriaLabel = 'layout.panel_keys';
    head.setAttribute('aria-label', t('layout.panel_keys'));
    head.addEventListener('keydown', (event) => this.keyboard(event, element));
    element.querySelector('.grid-stack-item-content').append(frame);
    const settings = { ...(where?.settings || {}) };
    Object.defineProperty(settings, 'changed', { value: () => this.scheduleSave(), enumerable: false });
    const instance = panel.mount(body, settings);
    this.instances.set(type, { element, instance, settings });
    return element;
  }

  remove(type) {
    const held = this.instances.get(type);
    if (!held) return;
    this.instances.delete(type);
    held.instance.destroy?.();
    this.grid.removeWidget(held.element);
  }

  /** Alt+arrows move the panel a cell, Alt+Shift+arrows resize it: the grid without a mouse. */
  keyboard(event, element) {
    if (!event.altKey || !event.key.startsWith('Arrow')) return;
    event.preventDefault();
    const node = element.gridstackNode;
    const step = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[event.key];
    if (event.shiftKey) this.grid.update(element, { w: Math.max(1, node.w + step[0]), h: Math.max(1, node.h + step[1]) });
    else this.grid.update(element, { x: Math.max(0, node.x + step[0]), y: Math.max(0, node.y + step[1]) });
    element.querySelector('.panel-head').focus();
  }

  applyDirection() {
    const dir = isRtl() ? 'rtl' : 'ltr';
    for (const { element } of this.instances.values()) element.querySelector('.panel').dir = dir;
    translate(this.container);
  }

  serialize() {
    const panels = this.grid.engine.nodes.map((node) => ({
      type: node.id, x: node.x, y: node.y, w: node.w, h: node.h,
      settings: { ...(this.instances.get(node.id)?.settings || {}) },
    })).sort((a, b) => a.y - b.y || a.x - b.x);
    return { version: LAYOUT_VERSION, panels, ...this.extra() };
  }

  scheduleSave() {
    if (this.restoring || !this.grid) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.save(), SAVE_DELAY_MS);
  }

  /** Save now if a save is waiting (before logging out). */
  async flush() {
    if (this.timer === null) return;
    await this.save();
  }

  async save() {
    clearTimeout(this.timer);
    this.timer = null;
    try {
      await api('PUT', '/api/layout', { body: { layout: this.serialize() } });
    } catch (error) {
      console.warn('layout not saved', error);
    }
  }

  destroy() {
    clearTimeout(this.timer);
    this.timer = null;
    this.stopLanguage();
    for (const { instance } of this.instances.values()) instance.destroy?.();
    this.instances.clear();
    this.grid.destroy(false);   // removes the widgets, keeps the container for the next login
    this.grid = null;
    this.container.replaceChildren();
  }
}
