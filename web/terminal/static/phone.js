// The terminal on a phone: no grid, one tab of panels at a time over a bottom navigation bar. The same panel
// modules are mounted as on a desk; nothing here saves a layout, so the desk's gridstack layout stays as it was left.

import { el } from '/shared/dom.js';
import { isRtl, onLanguage, t, translate } from '/shared/i18n.js';
import { PANELS, panelFrame } from './layout.js';

/** Narrow screens, and phones on their side (wide but short): where the page is marked .phone (followScreen). */
export const PHONE = window.matchMedia('(max-width: 759px), (max-height: 519px)');

/** The bottom navigation, in reading order (mirrored on a right-to-left page), and the panels of each tab. */
export const TABS = [
  { name: 'quotes', icon: '≡', panels: ['watchlist', 'depth'] },
  { name: 'chart', icon: '▥', panels: ['chart'] },
  { name: 'trade', icon: '⇅', panels: ['ticket'] },
  { name: 'positions', icon: '▤', panels: ['positions', 'orders'] },
  { name: 'account', icon: '◉', panels: ['account', 'fills', 'history'] },
];
const FALLBACK_TAB = 'account';   // a panel added to PANELS and named in no tab shows here

/** Tables wider than this many columns become cards on a phone, each cell labelled with its column's head. */
const CARD_COLUMNS = 5;

function tabOf(type) {
  return PANELS[type].phoneTab || TABS.find((tab) => tab.panels.includes(type))?.name || FALLBACK_TAB;
}

/** Label every cell of a wide table with its column's head (the head row is hidden on a phone). */
function labelCells(root) {
  for (const table of root.querySelectorAll('table.data')) {
    const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
    table.classList.toggle('cards', heads.length > CARD_COLUMNS);
    if (heads.length <= CARD_COLUMNS) continue;
    for (const row of table.tBodies[0]?.rows || []) {
      [...row.cells].forEach((cell, at) => { if (heads[at]) cell.dataset.label = heads[at]; });
    }
  }
}

export class PhoneLayout {
  constructor(container) {
    this.container = container;
    this.instances = new Map();   // type -> panel instance
    this.pages = new Map();       // tab name -> its page
    this.buttons = new Map();     // tab name -> its navigation button
    const pages = el('div', { class: 'phone-pages' });
    this.scroller = pages;
    const nav = el('nav', { class: 'phone-nav', 'data-i18n-aria-label': 'phone.navigation',
      'aria-label': t('phone.navigation') });
    for (const tab of TABS) {
      const page = el('div', { class: 'phone-page', id: `phone-page-${tab.name}`, dataset: { tab: tab.name },
        hidden: true });
      const button = el('button', { type: 'button', class: 'phone-tab', dataset: { tab: tab.name },
        'aria-controls': page.id, 'aria-pressed': 'false', onclick: () => this.show(tab.name) },
      el('span', { class: 'phone-tab-icon', 'aria-hidden': 'true' }, tab.icon),
      el('span', { 'data-i18n': `phone.tab.${tab.name}` }, t(`phone.tab.${tab.name}`)));
      this.pages.set(tab.name, page);
      this.buttons.set(tab.name, button);
      pages.append(page);
      nav.append(button);
    }
    container.replaceChildren(pages, nav);
    container.hidden = false;
    // a tap on a quote is a trader choosing what to trade
    pages.addEventListener('click', (event) => {
      if (event.target.closest('.panel-watchlist tbody tr[data-symbol]')) this.show('trade');
    });
    // rows come and go with every order and fill: label the new ones (a tick changes a cell, not a row)
    this.cards = new MutationObserver((changes) => {
      if (changes.some((change) => change.target.nodeName === 'TBODY')) labelCells(pages);
    });
    this.cards.observe(pages, { childList: true, subtree: true });
    this.stopLanguage = onLanguage(() => this.applyDirection());
  }

  /** Mount every panel under its tab, with the settings the desk saved for it (a chart's interval). */
  restore(saved) {
    const settingsOf = new Map((saved?.panels || []).map((p) => [p?.type, p?.settings]));
    for (const type of Object.keys(PANELS)) {
      const { frame, body } = panelFrame(PANELS[type]);
      this.pages.get(tabOf(type)).append(frame);
      const settings = { ...(settingsOf.get(type) || {}) };
      Object.defineProperty(settings, 'changed', { value: () => {}, enumerable: false });
      this.instances.set(type, PANELS[type].mount(body, settings));
    }
    labelCells(this.container);
    this.show('quotes');
  }

  show(name) {
    for (const [tab, page] of this.pages) page.hidden = tab !== name;
    for (const [tab, button] of this.buttons) button.setAttribute('aria-pressed', String(tab === name));
    this.scroller.scrollTop = 0;   // each tab opens at its top, not where the last one was scrolled to
  }

  /** Bring a panel's tab forward (a keyboard shortcut reaching a panel not on screen). */
  reveal(type) {
    if (this.instances.has(type)) this.show(tabOf(type));
  }

  has(type) { return this.instances.has(type); }

  instance(type) { return this.instances.get(type); }

  scheduleSave() {}   // the phone keeps no layout of its own, and must not overwrite the desk's

  async flush() {}

  applyDirection() {
    const dir = isRtl() ? 'rtl' : 'ltr';
    for (const frame of this.container.querySelectorAll('.panel')) frame.dir = dir;
    translate(this.container);
    labelCells(this.container);
  }

  destroy() {
    this.cards.disconnect();
    this.stopLanguage();
    for (const instance of this.instances.values()) instance.destroy?.();
    this.instances.clear();
    this.container.replaceChildren();
    this.container.hidden = true;
  }
}

/** The header's menu button: on a phone the header's tools (account, language, log out) fold behind it. */
export function wireMenu(topbar, button) {
  const open = (wanted) => {
    topbar.classList.toggle('menu-open', wanted);
    button.setAttribute('aria-expanded', String(wanted));
  };
  button.addEventListener('click', () => open(!topbar.classList.contains('menu-open')));
  document.addEventListener('click', (event) => { if (!topbar.contains(event.target)) open(false); });
  document.addEventListener('keydown', (event) => { if (event.key === 'Escape') open(false); });
  PHONE.addEventListener('change', () => open(false));
}

/** Mark the page .phone while the screen is one (the styles key on it), and call ``changed`` when that changes. */
export function followScreen(changed) {
  const mark = () => document.documentElement.classList.toggle('phone', PHONE.matches);
  mark();
  PHONE.addEventListener('change', () => { mark(); changed(); });
}
