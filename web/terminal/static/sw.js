// The terminal's service worker: the shell from the network while there is one (a copy kept), the offline page when
// there is none. The API and its streams never pass through here: a price or a balance is live or not shown.

const CACHE = 'dt-shell-v1';
const OFFLINE = '/offline.html';
const PRECACHE = [OFFLINE, '/offline.js', '/styles.css', '/shared/i18n.js', '/i18n/en.json', '/icons/icon.svg'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  event.respondWith(fromNetwork(event));
});

/** The network's answer, a copy kept of every file but the pages (a page opened offline is the offline page, as
 *  the terminal cannot work without the hub); the kept copy when the network is down. */
async function fromNetwork(event) {
  const { request } = event;
  try {
    const answer = await fetch(request);
    if (answer.ok && request.mode !== 'navigate') {
      const copy = answer.clone();
      event.waitUntil(caches.open(CACHE).then((cache) => cache.put(request, copy)));
    }
    return answer;
  } catch (error) {
    const kept = await caches.match(request.mode === 'navigate' ? OFFLINE : request);
    if (kept) return kept;
    throw error;
  }
}
