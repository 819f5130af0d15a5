// The terminal's own wording on top of /shared/i18n.js (catalogues, language switch, formatting): a refusal.

import { entry, message } from '/shared/i18n.js';

/** A refusal for people, as a parameter of t() or show(): the code translated when the catalogue knows it (a
 *  message(), so it follows a language switch), with the server's own sentence (the API sends reasons in English):
 *  an order's reject_code and reject_reason, or an error's code and reason. */
export function refusal(code, reason) {
  const sentence = reason || '';
  const known = code && entry(`reject.${code}`) !== undefined;
  return known ? message('reject.with_detail', { what: message(`reject.${code}`), detail: sentence })
    : sentence || code || '';
}
