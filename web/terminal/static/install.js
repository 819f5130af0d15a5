// Installable as a web app: the service worker (sw.js) keeps the shell and answers with the offline page when the
// network is down. Where service workers are not offered (plain http on a LAN address), the terminal works as before.

export function registerWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js', { scope: '/' })
    .catch((error) => console.warn('service worker not registered', error));
}
