// One modal form at a time, in a native <dialog>: Tab stays inside it, Escape closes it, Enter submits it. A
// refusal keeps it open with the API's reason, so nothing typed is lost.

import { el } from '/shared/dom.js';
import { t } from '/shared/i18n.js';
import { FieldError } from './form.js';
import { refusal } from './i18n.js';

/**
 * Open a dialog titled ``title`` around ``content``. ``submit`` (async) runs on Enter or the submit button; what
 * it returns is handed to ``done`` after the dialog closes. Without ``submit`` the dialog only shows ``content``.
 * ``retrySafe``: the form sends an Idempotency-Key, so after a lost answer the broker is told sending again is safe.
 */
export function openDialog({ title, content, submitKey = 'form.save', submit = null, done = () => {}, danger = false,
  retrySafe = false }) {
  const error = el('p', { class: 'error form-error', role: 'alert' });
  const close = el('button', { type: 'button', class: 'cancel', 'data-i18n': submit ? 'form.cancel' : 'form.close' },
    t(submit ? 'form.cancel' : 'form.close'));
  const send = submit ? el('button', { type: 'submit', class: danger ? 'danger submit' : 'primary submit',
    'data-i18n': submitKey }, t(submitKey)) : null;
  const form = el('form', { method: 'dialog', novalidate: true, class: 'dialog-form' },
    el('h2', {}, title), el('div', { class: 'dialog-body' }, content), error, el('div', { class: 'buttons' }, send, close));
  const dialog = el('dialog', { class: 'form-dialog', 'aria-label': title }, form);
  const opener = document.activeElement;
  document.body.append(dialog);
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    dialog.remove();
    // back where the keyboard was; the row's button is gone when its table was drawn again
    const back = opener?.isConnected ? opener : document.querySelector('#main .search') || document.getElementById('main');
    back?.focus();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!submit) {
      dialog.close();
      return;
    }
    send.disabled = true;
    error.textContent = '';
    try {
      const answer = await submit();
      dialog.close();
      done(answer);
    } catch (failure) {
      error.textContent = failure instanceof FieldError ? failure.message : refusal(failure);
      // an answer lost on the way may hide a change that was made: sent again with its key, it is made once
      if (failure.code === 'network' && retrySafe) error.textContent += ` ${t('form.retry_safe')}`;
    } finally {
      send.disabled = false;
    }
  });
  dialog.showModal();
  (form.querySelector('.dialog-body input, .dialog-body select, .dialog-body textarea') || send || close).focus();
  return dialog;
}
