// The terminal's own wording on top of /shared/i18n.js (catalogues, language switch, formatting): a refusal.

import { entry, t } from '/shared/i18n.js';

/** A refusal for people: the code translated when the catalogue knows it, with the server's own sentence (the API
 *  sends reasons in English): an order's reject_code and reject_reason, or an error's code and reason. */
export function refusal(code, reason) {
  const sentence = reason || '';
  const known = code ? entry(`reject.${code}`) : undefined;
  return known ? t('reject.with_detail', { what: known, detail: sentence }) : sentence || code || '';
}
