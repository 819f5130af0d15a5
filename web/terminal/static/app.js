// The terminal's entry: language first, then the login screen or (with a live session cookie) the trading screen.

import { api, get, whenLoginRequired } from '/shared/api.js';
import { el } from '/shared/dom.js';
import { decimalsOf, initLanguage, offerLanguages, onLanguage, savedLanguage, setLanguage, t,
  translate } from '/shared/i18n.js';
import { resumeSession, wireLogin } from '/shared/login.js';
import { loadAccount, loadFills, loadOrders, loadPositions, onAccountEvent, refresh, stopRefreshing } from './data.js';
import { registerWorker } from './install.js';
import { Layout, PANELS } from './layout.js';
import { followScreen, PHONE, PhoneLayout, wireMenu } from './phone.js';
import { applyQuote, emit, on, state } from './store.js';
import { AccountStream, PriceStream } from './streams.js';

const $ = (id) => document.getElementById(id);
let session = null;   // {layout, saved, prices, account, stops: []} while logged in

function show(view) {
  $('login-view').hidden = view !== 'login';
  $('terminal-view').hidden = view !== 'terminal';
}

function showLogin(messageKey = null) {
  show('login');
  $('login-error').textContent = messageKey ? t(messageKey) : '';
  if (messageKey) $('login-error').dataset.i18n = messageKey;
  else delete $('login-error').dataset.i18n;
  $('login-name').focus();
}

// ------------------------------------------------------------------ connection status

const streamsUp = { prices: false, account: false };
function setStatus(name, status) {
  streamsUp[name] = status === 'open';
  const live = streamsUp.prices && streamsUp.account;
  const badge = $('connection');
  badge.dataset.i18n = live ? 'conn.live' : 'conn.reconnecting';
  badge.textContent = t(badge.dataset.i18n);
  badge.classList.toggle('live', live);
}

// ------------------------------------------------------------------ session

async function startSession(user) {
  if (!user.accounts.length) {
    await api('DELETE', '/api/session').catch(() => {});
    showLogin('login.no_account');
    return;
  }
  state.user = user;
  state.accountId = user.accounts[0];
  const [instruments, saved, quotes] = await Promise.all([
    get('/api/instruments'), get('/api/layout'), get('/api/quotes')]);
  state.instruments = new Map(instruments.map((i) => [i.symbol, {
    ...i, priceDecimals: decimalsOf(i.tick_size), quantityDecimals: decimalsOf(i.board_lot || i.lot_step) }]));
  const layoutSaved = saved?.layout || null;
  state.selected = state.instruments.has(layoutSaved?.selected) ? layoutSaved.selected
    : state.instruments.has('EUR/USD') ? 'EUR/USD' : instruments[0]?.symbol || null;
  quotes.forEach(applyQuote);
  await Promise.all([loadAccount(), loadPositions(), loadOrders(), loadFills()]);

  const prices = new PriceStream(applyQuote, (error) => console.warn('price stream', error),
    (status) => setStatus('prices', status));
  prices.open();
  prices.subscribe([...state.instruments.keys()]);
  const account = new AccountStream(state.accountId, onAccountEvent, (status) => setStatus('account', status));
  account.open();

  show('terminal');
  $('user-name').textContent = user.login;
  paintAccountInfo();
  session = { layout: null, saved: layoutSaved, prices, account, stops: [] };
  arrange();
  session.stops.push(on('selected', () => session.layout.scheduleSave()), onLanguage(paintAccountInfo),
    onLanguage(paintMenu));
}

/** The desk's grid, or one tab at a time on a phone; a window that crosses the line swaps one for the other, the
 *  desk's layout saved first and shown again as it was. */
function arrange() {
  const phone = PHONE.matches;
  if (session.layout && (session.layout instanceof PhoneLayout) === phone) return;
  if (session.layout instanceof Layout) {
    session.saved = session.layout.serialize();
    session.layout.flush();
  }
  session.layout?.destroy();
  session.layout = phone ? new PhoneLayout($('phone')) : new Layout($('grid'), () => ({ selected: state.selected }));
  session.layout.restore(session.saved);
  paintMenu();
}

async function endSession({ callServer = true, messageKey = null } = {}) {
  const ending = session;
  session = null;
  if (ending) {
    if (callServer) await ending.layout.flush();
    ending.stops.forEach((stop) => stop());
    ending.prices.close();
    ending.account.close();
    ending.layout.destroy();
  }
  stopRefreshing();
  Object.assign(state, { user: null, accountId: null, account: null, positions: [], orders: [], fills: [],
    selected: null });
  state.quotes.clear();
  state.previous.clear();
  state.instruments.clear();
  if (callServer) await api('DELETE', '/api/session').catch(() => {});
  $('login-password').value = '';
  showLogin(messageKey);
}

function paintAccountInfo() {
  const box = $('account-info');
  if (!state.user) return;
  if (state.user.accounts.length < 2) {
    box.replaceChildren(el('span', { class: 'muted', 'data-i18n': 'app.account' }, t('app.account')), ' ',
      el('bdi', {}, state.accountId));
    return;
  }
  const select = el('select', { 'aria-label': t('app.account') }, state.user.accounts.map((id) =>
    el('option', { value: id }, id)));
  select.value = state.accountId;
  select.addEventListener('change', () => switchAccount(select.value));
  box.replaceChildren(el('label', { class: 'inline' }, el('span', { class: 'muted' }, t('app.account')), select));
}

function switchAccount(accountId) {
  if (!session || accountId === state.accountId) return;
  session.account.close();
  state.accountId = accountId;
  state.positions = []; state.orders = []; state.fills = [];
  emit('positions', []); emit('orders', []); emit('fills', []);
  session.account = new AccountStream(accountId, onAccountEvent, (status) => setStatus('account', status));
  session.account.open();
  refresh();
}

// ------------------------------------------------------------------ panel menu and shortcuts

function paintMenu() {
  if (!session) return;
  const list = $('add-panel-list');
  const missing = Object.values(PANELS).filter((p) => !session.layout.has(p.type));
  list.replaceChildren(...(missing.length ? missing.map((panel) => el('button', {
    type: 'button', role: 'menuitem', dataset: { panel: panel.type }, onclick: () => {
      const element = session.layout.add(panel.type);
      $('add-panel').open = false;
      element?.querySelector('.panel-head')?.focus();
      paintMenu();
    } }, t(panel.title))) : [el('span', { class: 'muted' }, t('layout.all_open'))]));
}

function shortcuts(event) {
  if (!session || !event.altKey || event.ctrlKey || event.metaKey) return;
  const ticket = session.layout.instance('ticket');
  const action = {
    KeyW: () => session.layout.instance('watchlist')?.focus(),
    KeyT: () => ticket?.focus(),
    KeyB: () => ticket?.buy(),
    KeyS: () => ticket?.sell(),
  }[event.code];
  if (action) {
    event.preventDefault();
    session.layout.reveal?.(event.code === 'KeyW' ? 'watchlist' : 'ticket');
    action();
  }
}

// ------------------------------------------------------------------ the tenant's brand

/** The white label this page is opened for: its path (/t/<name>), else its host name, else the platform's. */
async function loadBrand() {
  const path = location.pathname.startsWith('/t/') ? location.pathname.replace(/\/+$/, '') : '';
  try {
    return await get(path ? `/api/brand?path=${encodeURIComponent(path)}` : '/api/brand');
  } catch (error) {
    console.warn('brand', error);
    return null;
  }
}

/** The tenant's colours as the page's CSS variables, its name and logo where the platform's would be. */
function applyBrand(brand) {
  const root = document.documentElement.style;
  root.setProperty('--accent', brand.primary_colour);
  root.setProperty('--brand-accent', brand.accent_colour);
  if (!brand.tenant_id) return;   // the platform's own name stays, translated
  for (const element of [...document.querySelectorAll('.brand'), document.querySelector('title')]) {
    delete element.dataset.i18n;
    element.textContent = brand.name;
  }
  for (const logo of document.querySelectorAll('.brand-logo')) {
    if (!brand.logo_url) continue;
    logo.src = brand.logo_url;
    logo.alt = brand.name;
    logo.hidden = false;
  }
}

// ------------------------------------------------------------------ start

async function boot() {
  const brand = await loadBrand();
  if (brand) applyBrand(brand);
  const chosen = savedLanguage() !== null;
  await initLanguage('/i18n');
  if (brand && !chosen && brand.language) await setLanguage(brand.language);   // the tenant's, until one is chosen
  offerLanguages();
  translate(document);
  whenLoginRequired(() => { if (session) endSession({ callServer: false, messageKey: 'login.expired' }); });

  wireLogin(startSession, (error) => {
    if (error.code === 'bad_login') showLogin('login.bad');
    else $('login-error').textContent = t('login.failed', { reason: error.reason || error.message });
  });
  $('logout').addEventListener('click', () => endSession());
  $('reset-layout').addEventListener('click', () => { session?.layout.reset(); paintMenu(); });
  $('add-panel').addEventListener('toggle', paintMenu);
  document.addEventListener('keydown', shortcuts);
  followScreen(() => { if (session) arrange(); });
  wireMenu($('topbar'), $('menu-toggle'));
  registerWorker();
  document.addEventListener('click', (event) => {
    if (!$('add-panel').contains(event.target)) $('add-panel').open = false;
  });

  if (!await resumeSession(startSession)) showLogin();
}

boot();
