// The back-office panel's entry: language first, then the login or, with a live session, the panel (an invite
// link's page, /invite/<token>, sets the password and comes here logged in). Its navigation is what the API
// documents under /api/admin/ and /api/ib/, less what the caller's role is refused (each list is asked once at
// login: a 403 hides it).

import { api, get, whenLoginRequired } from '/shared/api.js';
import { el } from '/shared/dom.js';
import { initLanguage, offerLanguages, onLanguage, t, translate } from '/shared/i18n.js';
import { resumeSession, wireLogin } from '/shared/login.js';
import { choice, named, refusal } from './i18n.js';
import { backOffice } from './openapi.js';
import { queryView, resourceView } from './views.js';

const $ = (id) => document.getElementById(id);
// the order a broker thinks in; a resource the API gains later comes after these
const ORDER = ['tenants', 'users', 'ib-requests', 'groups', 'accounts', 'instruments', 'routes', 'markups',
  'commission-plans', 'rebate-plans', 'jobs', 'audit'];
const VIEW_ORDER = ['clients', 'earnings'];
const PANEL_ROLES = new Set(['super_admin', 'admin', 'broker', 'master_ib', 'ib', 'sub_ib']);

let session = null;   // {user, model, pages: [{kind, name, item}]} while logged in

function show(view) {
  for (const name of ['login', 'panel']) $(`${name}-view`).hidden = view !== name;
}

function showLogin(messageKey = null, link = false) {
  show('login');
  const message = $('login-error');
  message.replaceChildren(messageKey ? t(messageKey) : '');
  if (link) message.append(' ', el('a', { href: '/', 'data-i18n': 'login.open_terminal' }, t('login.open_terminal')));
  $('login-name').focus();
}

// ------------------------------------------------------------------ the panel

async function visible(op) {
  if (op.parameters.some((p) => p.required && p.in !== 'header')) return true;   // cannot ask without them
  try {
    await api('GET', op.path);
    return true;
  } catch (error) {
    return error.status !== 403 && error.status !== 404;
  }
}

async function enter(user) {
  if (!PANEL_ROLES.has(user.role)) {
    showLogin('login.end_user', true);
    return;
  }
  const model = backOffice(await get('/api/openapi.json'));
  const rank = (list, name) => (list.includes(name) ? list.indexOf(name) : list.length);
  const resources = [...model.resources.values()].filter((r) => r.list)
    .sort((a, b) => rank(ORDER, a.name) - rank(ORDER, b.name) || a.name.localeCompare(b.name));
  const views = model.views.filter((v) => !v.name.includes('{'))
    .sort((a, b) => rank(VIEW_ORDER, a.name) - rank(VIEW_ORDER, b.name) || a.name.localeCompare(b.name));
  const shown = await Promise.all([...resources.map((r) => visible(r.list)), ...views.map(visible)]);
  const pages = [...resources.map((item) => ({ kind: 'r', name: item.name, item })),
    ...views.map((item) => ({ kind: 'ib', name: item.name, item }))].filter((page, i) => shown[i]);
  session = { user, model, pages };
  show('panel');
  $('user-name').textContent = user.login;
  $('user-role').dataset.choice = user.role;
  $('user-role').textContent = choice(user.role);
  paintNav();
  await route();
}

function paintNav() {
  if (!session) return;
  $('nav-list').replaceChildren(...session.pages.map((page) => el('li', {}, el('a', {
    href: `#/${page.kind}/${page.name}`, dataset: { page: `${page.kind}/${page.name}` },
    onclick: (event) => {   // the page one is on: drawn again, fresh from the API
      if (event.currentTarget.getAttribute('href') === location.hash) route();
    },
    'data-named': page.kind === 'r' ? `resource:${page.name}` : `resource:ib.${page.name}`,
  }, named('resource', page.kind === 'r' ? page.name : `ib.${page.name}`)))));
  if (!session.pages.length) $('main').replaceChildren(el('p', { class: 'muted', 'data-i18n': 'nav.nothing' }, t('nav.nothing')));
  markCurrent();
}

function markCurrent() {
  for (const link of $('nav-list').querySelectorAll('a')) {
    if (link.getAttribute('href') === location.hash) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

async function route() {
  if (!session || !session.pages.length) return;
  const [, kind, name] = location.hash.match(/^#\/(r|ib)\/(.+)$/) || [];
  const page = session.pages.find((p) => p.kind === kind && p.name === name);
  if (!page) {
    location.replace(`#/${session.pages[0].kind}/${session.pages[0].name}`);
    return;
  }
  markCurrent();
  const main = $('main');
  await (page.kind === 'r' ? resourceView(page.item, main) : queryView(page.item, main));
}

async function leave({ callServer = true, messageKey = null } = {}) {
  session = null;
  for (const dialog of document.querySelectorAll('dialog')) dialog.close();
  $('main').replaceChildren();
  $('nav-list').replaceChildren();
  if (callServer) await api('DELETE', '/api/session').catch(() => {});
  $('login-password').value = '';
  showLogin(messageKey);
}

/** "/" focuses the page's search box unless one is typing; Escape is the dialog's own. */
function shortcuts(event) {
  if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest?.('input, textarea, select, [contenteditable]') || document.querySelector('dialog[open]')) return;
  const search = document.querySelector('#main .search');
  if (search) {
    event.preventDefault();
    search.focus();
  }
}

// ------------------------------------------------------------------ the white label

let brand = null;   // the tenant whose own domain this panel is opened on, if any

/** A broker's staff on the broker's own domain see its name and colours, as its traders do in the terminal. */
async function loadBrand() {
  try {
    const found = await get('/api/brand');
    brand = found?.tenant_id ? found : null;
  } catch {
    brand = null;
  }
  if (brand?.primary_colour) document.documentElement.style.setProperty('--accent', brand.primary_colour);
}

function paintBrand() {
  if (!brand) return;
  const name = t('app.brand_of', { name: brand.name });
  for (const element of document.querySelectorAll('.brand')) element.textContent = name;
  document.title = name;
}

// ------------------------------------------------------------------ start

async function boot() {
  await loadBrand();
  await initLanguage('/admin/i18n', ['en', 'ar']);   // the languages the panel has catalogues for
  offerLanguages();
  translate(document);
  paintBrand();
  onLanguage(() => {
    paintBrand();
    if (session) route();
  });
  whenLoginRequired(() => { if (session) leave({ callServer: false, messageKey: 'login.expired' }); });
  window.addEventListener('hashchange', () => route());
  document.addEventListener('keydown', shortcuts);
  $('logout').addEventListener('click', () => leave());
  wireLogin(enter, (error) => {
    if (error.code === 'bad_login') showLogin('login.bad');
    else $('login-error').textContent = refusal(error);
  });

  if (!await resumeSession(enter)) showLogin();
}

boot();
