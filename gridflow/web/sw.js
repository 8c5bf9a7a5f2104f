"use strict";
// The app shell offline: the page and its scripts, network first (so a new release arrives when online), the cached
// copy when there is no network. API answers are never cached here: they hold person-level data, the page keeps
// only the last alert list, and it forgets it on logout.
const SHELL = "gridflow-shell-v1";
const FILES = ["/", "/static/app.css", "/static/i18n.js", "/static/store.js", "/static/views.js", "/static/app.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== SHELL).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  const shell = url.origin === self.location.origin && (url.pathname === "/" || url.pathname.startsWith("/static/"));
  if (event.request.method !== "GET" || !shell) return;  // the API goes to the network, or fails
  event.respondWith(fetch(event.request)
    .then((response) => {
      const copy = response.clone();
      if (response.ok) caches.open(SHELL).then((cache) => cache.put(url.pathname, copy));
      return response;
    })
    .catch(() => caches.match(url.pathname)));
});
