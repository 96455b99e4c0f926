/* SalesOps service worker (SPEC X6): the app shell and visited pages for offline use.
   Served at /sw.js by salesops.field.views.service_worker; its config comes from there. */
'use strict';
const CONFIG = {{ config|safe }};
const SHELL = 'salesops-shell-' + CONFIG.version;
const PAGES = 'salesops-pages-' + CONFIG.version;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const shell = await caches.open(SHELL);
    await shell.addAll(CONFIG.shell);
    const pages = await caches.open(PAGES);
    for (const url of CONFIG.pages) {
      try {
        // No redirects followed: a page fetched after the user left would render the login
        // page and hand the browser a new CSRF cookie under the form it is filling.
        const response = await fetch(url, { credentials: 'same-origin', redirect: 'manual' });
        if (response.ok && !response.redirected) await pages.put(url, response);
      } catch (err) { /* offline while installing: the page is cached on its next visit */ }
    }
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('salesops-') && key !== SHELL && key !== PAGES) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  // Logged out: the pages of that user must not stay readable on the device.
  if (event.data && event.data.type === 'forget-pages') {
    event.waitUntil(caches.delete(PAGES));
  }
});

function isRuntimePage(url) {
  return CONFIG.runtime.some((prefix) => url.pathname.startsWith(prefix));
}

async function staticFirst(request) {
  const cached = await caches.match(request, { ignoreSearch: true });
  const refresh = fetch(request).then(async (response) => {
    if (response.ok) await (await caches.open(SHELL)).put(request, response.clone());
    return response;
  });
  if (cached) {
    refresh.catch(() => null); // stale while revalidate
    return cached;
  }
  return refresh;
}

async function pageNetworkFirst(request) {
  const url = new URL(request.url);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected && isRuntimePage(url)) {
      await (await caches.open(PAGES)).put(request, response.clone());
    }
    return response;
  } catch (err) {
    const pages = await caches.open(PAGES);
    const exact = await pages.match(request);
    if (exact) return exact;
    // The check-in screen of another record: the same form; field.js names the record.
    if (url.pathname === '/activities/check-in/') {
      const any = await pages.match(request, { ignoreSearch: true });
      if (any) return any;
    }
    const offline = await pages.match(CONFIG.offline);
    if (offline) return offline;
    return new Response('Offline', { status: 503, headers: { 'Content-Type': 'text/plain' } });
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/')) return; // the API talks to the network only
  if (url.pathname.startsWith('/static/')) {
    event.respondWith(staticFirst(request));
  } else if (request.mode === 'navigate') {
    event.respondWith(pageNetworkFirst(request));
  }
});
