/* Service worker of the member app (/m/): keeps the app shell so the phone opens it with no
   signal. Pages: network first, the kept copy when offline. Static files: the kept copy,
   refreshed in the background. The API is never cached here (the page keeps its own copy of
   the lists, and queues its writes in IndexedDB). */
var SHELL = "yemai-shell-v1";
var FILES = [
  "/m/",
  "/static/web/app.css",
  "/static/web/common.js",
  "/static/web/actions.js",
  "/static/web/member.js",
  "/static/web/patrol.js",
  "/static/web/icon-192.png",
];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    return cache.addAll(FILES.map(function (u) { return new Request(u, { credentials: "same-origin" }); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== SHELL; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.indexOf("/m/") === 0) {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(SHELL).then(function (cache) { cache.put("/m/", copy); });
      }
      return response;
    }).catch(function () { return caches.match("/m/"); }));
    return;
  }
  if (url.pathname.indexOf("/static/web/") === 0) {
    event.respondWith(caches.open(SHELL).then(function (cache) {
      return cache.match(request).then(function (hit) {
        var fresh = fetch(request).then(function (response) {
          if (response.ok) cache.put(request, response.clone());
          return response;
        }).catch(function () { return hit; });
        return hit || fresh;
      });
    }));
  }
});

/* Web push (notify's webpush channel sends {"title", "body", ...}). */
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data && event.data.text() }; }
  event.waitUntil(self.registration.showNotification(data.title || "叶脉 Yemai", {
    body: data.body || "", icon: "/static/web/icon-192.png", data: { url: data.url || "/m/" },
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(self.clients.openWindow((event.notification.data && event.notification.data.url) || "/m/"));
});
