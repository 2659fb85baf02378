// The demo's service worker: after the first visit the page, the engine,
// the model, the gallery and the sentences come from a cache, so the demo
// works offline. `aeir export site` fills in the build version (a hash of
// every file) and the list of files of the first page load; a new build
// gets a new cache and the old one is deleted.
"use strict";

const BUILD = "__BUILD__";
const CORE = ["__CORE__"];
const CACHE = "aeir-" + BUILD;

self.addEventListener("install", (e) => {
  e.waitUntil(
    caches
      .open(CACHE)
      // "no-cache": revalidated with the server (a 304 when the page
      // just downloaded the file), so a first visit does not download
      // everything twice, and nothing stale is cached.
      .then((c) => c.addAll(CORE.map((u) => new Request(u, { cache: "no-cache" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (e) => {
  e.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("aeir-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

async function put(req, res) {
  if (res.ok && res.type === "basic") {
    const c = await caches.open(CACHE);
    await c.put(req, res.clone());
  }
  return res;
}

self.addEventListener("fetch", (e) => {
  const req = e.request;
  if (req.method !== "GET" || new URL(req.url).origin !== self.location.origin) return;
  if (req.mode === "navigate") {
    // The page: the network when there is one (so a new build shows),
    // else the cached copy.
    e.respondWith(
      fetch(req)
        .then((res) => put(new Request(new URL("./", self.location).href), res))
        .catch(async () => (await caches.match(req, { ignoreSearch: true })) || (await caches.match("./")) || (await caches.match("index.html")) || Response.error()),
    );
    return;
  }
  // Everything else belongs to this build: the cache first.
  e.respondWith(caches.match(req).then((hit) => hit || fetch(req).then((res) => put(req, res))));
});
