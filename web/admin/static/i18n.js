// The panel's own wording on top of /shared/i18n.js (catalogues, language switch, formatting): names the API adds
// later (a resource, a field) fall back to the name made readable, and an API error reads as one sentence.

import { alsoTranslate, entry, t } from '/shared/i18n.js';

/** A name the API chose (resource, field, action): its catalogue entry ``<kind>.<name>`` when there is one,
 *  else the name itself made readable ("min_notional" -> "Min notional"). */
export function named(kind, name) {
  const text = entry(`${kind}.${name}`);
  if (text !== undefined) return text;
  const words = String(name).replace(/[_-]+/g, ' ').replace(/\./g, ' · ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** One of an enumeration's values (a role, a status, a unit): its ``enum.<value>`` entry, else the value itself. */
export function choice(value) {
  return entry(`enum.${value}`) ?? String(value);
}

// translate() fills data-named ("<kind>:<name>") and data-choice too
alsoTranslate((root) => {
  for (const element of root.querySelectorAll('[data-named]')) {
    const [kind, ...rest] = element.dataset.named.split(':');
    element.textContent = named(kind, rest.join(':'));
  }
  for (const element of root.querySelectorAll('[data-choice]')) element.textContent = choice(element.dataset.choice);
});

/** An API error for people: the code translated when the catalogue knows it, always with the server's reason. */
export function refusal(error) {
  const code = error?.code;
  const reason = error?.reason || error?.message || '';
  const known = code ? entry(`error.${code}`) : undefined;
  return known ? t('error.with_reason', { what: known, reason }) : t('error.plain', { code: code || '', reason });
}
