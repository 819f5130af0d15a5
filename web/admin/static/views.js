// The two kinds of page the panel shows, both drawn from the OpenAPI document: a resource (its table, filters,
// create, edit, delete, row actions and row views, and its other operations) and a read-only view (the IB's
// clients and earnings: filters and the answer).

import { api } from '/shared/api.js';
import { el } from '/shared/dom.js';
import { t } from '/shared/i18n.js';
import { openDialog } from './dialog.js';
import { operationForm } from './form.js';
import { named, refusal } from './i18n.js';
import { ADMIN, fillPath, resolve, rowSchema, rowsOf, typeOf } from './openapi.js';
import { columnsFor, dataTable, diffOf, renderValue, totals } from './render.js';

/** Send ``op`` with what its form collected. */
function send(op, collected) {
  const query = collected.query?.toString();
  const url = fillPath(op.path, collected.path) + (query ? `?${query}` : '');
  return api(op.method, url, { body: op.body ? collected.body ?? {} : undefined, headers: collected.headers });
}

/** The row's values for ``names`` (its id parameters): the field of that name, else without "_id", else its id. */
function idsOf(row, names, columns) {
  const ids = {};
  for (const name of names) {
    ids[name] = row[name] ?? row[name.replace(/_id$/, '')] ?? row.id ?? (names.length === 1 ? row[columns[0]] : undefined);
  }
  return ids;
}

function filtersOf(op) {
  return op.parameters.filter((p) => p.in === 'query');
}

function resultBox() {
  const box = el('div', { class: 'result', role: 'status', 'aria-live': 'polite' });
  return {
    element: box,
    ok(what, answer, schema) {
      const detail = answer && typeof answer === 'object' && Object.keys(answer).length ? renderValue(answer, schema) : null;
      box.className = 'result ok';
      box.replaceChildren(el('p', {}, t('result.done', { what })), detail);
    },
    fail(error) {
      box.className = 'result error';
      box.replaceChildren(el('p', {}, refusal(error)));
    },
  };
}

/** The current table as the whole-table form's values: the list itself, or under the body's one list property. */
function tableValues(op, rows) {
  const body = resolve(op.body);
  const list = Object.entries(body.properties || {}).find(([, p]) => typeOf(p).type === 'array');
  return list && Array.isArray(rows) ? { [list[0]]: rows } : rows ?? {};
}

/** The page of one /api/admin/<name> resource, drawn into ``main``. */
export function resourceView(resource, main) {
  const title = named('resource', resource.name);
  const result = resultBox();
  const holder = el('div', { class: 'rows' });
  const listOp = resource.list;
  const filters = listOp && filtersOf(listOp).length ? operationForm({ ...listOp, parameters: filtersOf(listOp), body: null }) : null;
  let last = null;   // the list's last answer, for "edit the whole table"
  // what names a row (its data-key): the item path's parameters, else those of its actions or views
  const keyParams = resource.idParams.length ? resource.idParams
    : (resource.actions[0] || resource.rowViews[0])?.idParams || [];

  async function reload() {
    if (!listOp) return;
    holder.replaceChildren(el('p', { class: 'muted', 'data-i18n': 'table.loading' }, t('table.loading')));
    try {
      last = await send(listOp, filters ? filters.collect() : { path: {}, query: new URLSearchParams() });
    } catch (error) {
      holder.replaceChildren(el('p', { class: 'error', role: 'alert' }, refusal(error)));
      return;
    }
    const rows = rowsOf(last);
    if (!rows) {
      holder.replaceChildren(renderValue(last, listOp.answer));
      return;
    }
    const schema = rowSchema(listOp);
    const columns = columnsFor(schema, rows);
    holder.replaceChildren(dataTable({ rows, schema, detail: diffOf(rows), actions: (row) => rowButtons(row, columns),
      key: keyParams.length ? (row) => Object.values(idsOf(row, keyParams, columns)).join('/') : null }));
  }

  function changed(what, schema = null) {
    return (answer) => {
      result.ok(`${title}: ${what}`, answer, schema);
      reload();
    };
  }

  function form(op, { what, values = {}, fixed = {}, changedOnly = false, danger = false }) {
    const built = operationForm(op, { values, fixed, changedOnly });
    const about = Object.keys(fixed).length ? el('p', { class: 'muted about' }, Object.entries(fixed)
      .map(([name, value]) => `${named('field', name)}: ${value}`).join(' · ')) : null;
    openDialog({ title: `${title}: ${what}`, content: [about, built.element], submitKey: danger ? 'form.confirm' : 'form.save',
      danger, retrySafe: built.idempotent, submit: () => send(op, built.collect()), done: changed(what, op.answer) });
  }

  function rowButtons(row, columns) {
    const buttons = [];
    const item = resource.item;
    const ids = idsOf(row, resource.idParams, columns);
    const button = (key, label, onclick, extra = {}) => el('button', { type: 'button', class: `row-action ${extra.class || ''}`.trim(),
      dataset: { action: key }, onclick }, label);
    if (item.PATCH || item.PUT || resource.upsert) {
      const op = item.PATCH || item.PUT || resource.upsert;
      buttons.push(button('edit', t('action.edit'), () => form(op, { what: t('action.edit'), values: row, fixed: ids,
        changedOnly: op === item.PATCH })));
    }
    for (const action of resource.actions) {
      const actionIds = idsOf(row, action.idParams, columns);
      const what = named('action', action.verb);
      const needsForm = action.body || action.parameters.some((p) => !(p.in === 'path' && p.name in actionIds)
        && !/^idempotency-key$/i.test(p.name));
      buttons.push(button(action.verb, what, async () => {
        if (needsForm) {
          form(action, { what, fixed: actionIds });
          return;
        }
        try {
          changed(what, action.answer)(await send(action, operationForm(action, { fixed: actionIds }).collect()));
        } catch (error) {
          result.fail(error);
        }
      }));
    }
    for (const view of resource.rowViews) {
      const what = named('action', view.verb);
      buttons.push(button(view.verb, what, async () => {
        try {
          const answer = await send(view, { path: idsOf(row, view.idParams, columns), query: new URLSearchParams() });
          openDialog({ title: `${title}: ${what}`, content: renderValue(answer, view.answer) });
        } catch (error) {
          result.fail(error);
        }
      }));
    }
    const remove = item.DELETE || resource.remove;
    if (remove) {
      const fixed = item.DELETE ? ids : Object.fromEntries(remove.parameters.filter((p) => p.name in row)
        .map((p) => [p.name, row[p.name]]));
      buttons.push(button('delete', t('action.delete'), () => form(remove, { what: t('action.delete'), fixed,
        danger: true }), { class: 'danger' }));
    }
    return buttons;
  }

  const tools = [];
  const creating = resource.create || resource.upsert || (resource.item.PUT && !resource.item.PATCH ? resource.item.PUT : null);
  if (creating) {
    tools.push(el('button', { type: 'button', class: 'primary', dataset: { action: 'create' },
      onclick: () => form(creating, { what: t('action.create') }) }, t('action.create')));
  }
  if (resource.replace) {
    tools.push(el('button', { type: 'button', dataset: { action: 'replace' },
      onclick: () => form(resource.replace, { what: t('action.replace'), values: tableValues(resource.replace, last) }) },
    t('action.replace')));
  }
  for (const extra of resource.extras) {
    const verb = extra.path.slice(ADMIN.length).split('/').slice(1).filter((part) => !part.startsWith('{')).join('.');
    const what = named('action', verb);
    tools.push(el('button', { type: 'button', class: 'extra', title: extra.summary, dataset: { action: verb, path: extra.path },
      onclick: () => {
        const built = operationForm(extra);
        openDialog({ title: what, content: built.element, submitKey: extra.method === 'GET' ? 'form.show' : 'form.save',
          submit: () => send(extra, built.collect()),
          done: (answer) => (extra.method === 'GET'
            ? openDialog({ title: what, content: renderValue(answer, extra.answer) }) : changed(what, extra.answer)(answer)) });
      } }, what));
  }
  if (listOp) tools.push(el('button', { type: 'button', dataset: { action: 'reload' }, onclick: reload }, t('action.reload')));

  const filterBar = filters ? el('form', { class: 'filters', novalidate: true, onsubmit: (event) => {
    event.preventDefault();
    reload();
  } }, filters.element, el('button', { type: 'submit', 'data-i18n': 'table.filter' }, t('table.filter'))) : null;

  main.replaceChildren(el('section', { class: 'page', dataset: { resource: resource.name } },
    el('header', { class: 'page-head' }, el('h1', {}, title), el('div', { class: 'tools' }, tools)),
    filterBar, result.element, holder));
  return reload();
}

/** A read-only GET view (the IB's clients, its earnings): its query parameters as filters, then the answer. */
export function queryView(view, main) {
  const title = named('resource', `ib.${view.name}`);
  const holder = el('div', { class: 'rows' });
  const filters = filtersOf(view).length ? operationForm({ ...view, parameters: filtersOf(view), body: null }) : null;

  async function reload() {
    holder.replaceChildren(el('p', { class: 'muted', 'data-i18n': 'table.loading' }, t('table.loading')));
    try {
      const answer = await send(view, filters ? filters.collect() : { path: {}, query: new URLSearchParams() });
      const earnings = answer && typeof answer === 'object' && 'pending' in answer && 'paid' in answer;
      const rest = earnings ? Object.fromEntries(Object.entries(answer).filter(([key]) => key !== 'pending' && key !== 'paid')) : answer;
      holder.replaceChildren(...(earnings ? [el('h2', { 'data-i18n': 'field.totals' }, t('field.totals')),
        totals(answer.pending, answer.paid)] : []), renderValue(rest, view.answer));
    } catch (error) {
      holder.replaceChildren(el('p', { class: 'error', role: 'alert' }, refusal(error)));
    }
  }
  const filterBar = filters ? el('form', { class: 'filters', novalidate: true, onsubmit: (event) => {
    event.preventDefault();
    reload();
  } }, filters.element, el('button', { type: 'submit', 'data-i18n': 'table.filter' }, t('table.filter'))) : null;
  main.replaceChildren(el('section', { class: 'page', dataset: { view: view.name } },
    el('header', { class: 'page-head' }, el('h1', {}, title), el('div', { class: 'tools' },
      el('button', { type: 'button', dataset: { action: 'reload' }, onclick: reload }, t('action.reload')))),
    filterBar, holder));
  return reload();
}
