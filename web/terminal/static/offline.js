// The offline page in the trader's language (the catalogue the service worker kept when the terminal read it; the
// page's own English when it kept none), and a button to try the terminal again.

import { initLanguage } from '/shared/i18n.js';

document.getElementById('retry').addEventListener('click', () => location.reload());
initLanguage('/i18n').catch(() => {});   // no catalogue kept: the page stays as written
