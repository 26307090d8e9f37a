/* The grid member's phone app (PWA). Lists come from /api/cases/mine (kept in localStorage
   for offline reading); every step, photo and report goes through a queue in IndexedDB with
   its own Idempotency-Key, sent in order when online, and deleted only once the server has
   it — so a replay (after a lost answer, a second tab, a reload) is never taken twice. */
(function () {
  "use strict";
  var app = document.getElementById("app");
  var user = app.dataset.user;
  var CACHE = "yemai.mine." + user;
  var FIELD_ACTIONS = ["accept", "start", "handle", "escalate", "send_back", "request_extension", "comment", "consult", "refer", "verify", "close"];
  var current = "to_accept";
  var lists = null;
  var openCase = null;

  /* --- IndexedDB queue -------------------------------------------------------------------- */
  var dbp = null;
  function db() {
    if (dbp) return dbp;
    dbp = new Promise(function (resolve, reject) {
      var req = indexedDB.open("yemai-" + user, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore("queue", { keyPath: "key" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
    return dbp;
  }
  function tx(mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction("queue", mode);
        var result = fn(t.objectStore("queue"));
        t.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }
  function queueAll() {
    return tx("readonly", function (s) { return s.getAll(); }).then(function (rows) {
      return rows.sort(function (a, b) { return a.seq - b.seq; });
    });
  }
  var seq = Date.now() * 1000;
  function enqueue(entry) {
    entry.key = entry.key || Y.uuid();
    entry.seq = ++seq;
    return tx("readwrite", function (s) { s.put(entry); }).then(showQueue);
  }
  function dequeue(key) { return tx("readwrite", function (s) { s.delete(key); }); }
  function save(entry) { return tx("readwrite", function (s) { s.put(entry); }); }

  function showQueue() {
    return queueAll().then(function (rows) {
      document.getElementById("queue").hidden = rows.length === 0;
      document.getElementById("queue-count").textContent = rows.length;
      return rows;
    });
  }

  function uploadPhoto(caseId, blob, kind, name) {
    var fd = new FormData();
    fd.append("file", blob, name || "photo.jpg");
    fd.append("kind", kind);
    return Y.api("/api/cases/" + caseId + "/photos", { method: "POST", body: fd });
  }

  function send(entry) {
    if (entry.kind === "action") {
      return Y.api("/api/cases/" + entry.caseId + "/actions/" + entry.action, {
        method: "POST", body: entry.body, headers: { "Idempotency-Key": entry.key },
      });
    }
    if (entry.kind === "photo") return uploadPhoto(entry.caseId, entry.blob, entry.photoKind, entry.name);
    if (entry.kind === "report") {
      var made = entry.caseId ? Promise.resolve({ id: entry.caseId }) :
        Y.api("/api/cases", { method: "POST", body: entry.body, headers: { "Idempotency-Key": entry.key } })
          .then(function (c) { entry.caseId = c.id; return save(entry).then(function () { return c; }); });
      return made.then(function (c) {
        return entry.blob ? uploadPhoto(c.id, entry.blob, "report", entry.name) : c;
      });
    }
    return Promise.resolve();
  }

  function permanent(err) {
    // A refusal the server will give again (bad input, not allowed, gone): drop it and say so.
    return err instanceof Y.ApiError && err.status >= 400 && err.status < 500 && [401, 408, 429].indexOf(err.status) < 0;
  }

  var flushing = null;
  function flush() {
    if (flushing) return flushing;
    if (!navigator.onLine) return Promise.resolve();
    flushing = queueAll().then(function (rows) {
      var chain = Promise.resolve(true);
      rows.forEach(function (entry) {
        chain = chain.then(function (go) {
          if (!go) return false;
          return send(entry).then(function () { return dequeue(entry.key).then(function () { return true; }); },
            function (err) {
              if (permanent(err)) {
                var box = document.getElementById("failed");
                box.textContent = (entry.label || entry.action || entry.kind) + ": " + err.message;
                box.hidden = false;
                return dequeue(entry.key).then(function () { return true; });
              }
              return false; // offline or server busy: keep it, try later
            });
        });
      });
      return chain;
    }).then(function () {
      flushing = null;
      return showQueue();
    }, function () { flushing = null; }).then(function (rows) {
      if (rows && rows.length === 0) load();
    });
    return flushing;
  }
  window.yemaiFlush = flush;

  /* --- lists ------------------------------------------------------------------------------ */
  function load() {
    var mine = Y.api("/api/cases/mine");
    var today = Y.api("/api/cases?period=today&page=1");
    return Promise.all([mine, today]).then(function (r) {
      lists = Object.assign({}, r[0], { today: r[1].items });
      localStorage.setItem(CACHE, JSON.stringify(lists));
      render();
      prefetch();
    }).catch(function (err) {
      var cached = localStorage.getItem(CACHE);
      if (cached) { lists = JSON.parse(cached); render(); }
      if (!(err instanceof TypeError)) Y.toast(err.message, "bad");
    });
  }

  /* Keep my open cases (with their history and the steps I may take) on the phone, so that
     they can be opened and worked on with no signal. */
  function prefetch() {
    var ids = [];
    ["to_accept", "in_progress", "overdue"].forEach(function (k) {
      (lists[k] || []).forEach(function (c) { if (ids.indexOf(c.id) < 0) ids.push(c.id); });
    });
    ids.slice(0, 30).reduce(function (chain, id) {
      return chain.then(function () {
        return Y.api("/api/cases/" + id).then(function (c) {
          try { localStorage.setItem("yemai.case." + id, JSON.stringify(c)); } catch (x) { /* full */ }
        });
      });
    }, Promise.resolve()).catch(function () { /* offline: keep what we have */ });
  }

  function render() {
    if (!lists) return;
    document.querySelectorAll(".tabs [data-list]").forEach(function (tab) {
      var rows = lists[tab.dataset.list];
      var n = tab.querySelector(".n");
      if (n) n.textContent = rows ? "(" + rows.length + ")" : "";
    });
    var ul = document.getElementById("list");
    if (current === "report") { ul.hidden = true; return; }
    ul.hidden = false;
    var rows = lists[current] || [];
    queueAll().then(function (queued) {
      var waiting = {};
      queued.forEach(function (q) { if (q.caseId) waiting[q.caseId] = true; });
      ul.innerHTML = rows.length ? rows.map(function (c) {
        return '<li class="card"><button type="button" class="open" data-id="' + c.id + '">' +
          '<span class="dot ' + Y.esc(c.deadline || "grey") + '" aria-hidden="true"></span>' +
          "<strong>" + Y.esc(c.number) + "</strong> " + Y.esc(c.category_name) +
          '<span class="sub">' + Y.esc(c.state_label) + " · " + Y.esc(c.address || c.grid_name) +
          (c.due_at ? " · " + Y.esc(Y.t("due")) + " " + Y.esc(Y.when(c.due_at)) : "") + "</span>" +
          (waiting[c.id] ? '<span class="pill">' + Y.esc(Y.t("pending")) + "</span>" : "") +
          "</button></li>";
      }).join("") : "<li>" + Y.esc(Y.t("none")) + "</li>";
    });
  }

  function select(name) {
    current = name;
    document.querySelectorAll(".tabs [role=tab]").forEach(function (tab) {
      tab.setAttribute("aria-selected", tab.dataset.list === name ? "true" : "false");
    });
    document.getElementById("report").hidden = name !== "report";
    if (name === "report" && !reportForm.elements.lon.value) locate();
    closeCase();
    render();
  }

  function findCached(id) {
    if (!lists) return null;
    var found = null;
    Object.keys(lists).forEach(function (k) {
      (lists[k] || []).forEach(function (c) { if (String(c.id) === String(id)) found = c; });
    });
    return found;
  }

  function showCase(id) {
    document.getElementById("panel").hidden = true;
    var view = document.getElementById("case");
    view.hidden = false;
    var body = document.getElementById("case-body");
    body.innerHTML = "<p>" + Y.esc(Y.t("loading")) + "</p>";
    Y.api("/api/cases/" + id).then(function (c) {
      localStorage.setItem("yemai.case." + id, JSON.stringify(c));
      drawCase(c);
    }).catch(function (err) {
      var cached = localStorage.getItem("yemai.case." + id);
      var c = cached ? JSON.parse(cached) : findCached(id);
      if (c) {
        c.events = c.events || [];
        c.photos = c.photos || [];
        c.allowed_actions = c.allowed_actions || [];
        drawCase(c);
      } else body.innerHTML = '<p class="error">' + Y.esc(err.message) + "</p>";
    });
  }

  function drawCase(c) {
    openCase = c;
    document.getElementById("case-body").innerHTML = Y.caseHtml(c);
    Y.actionForm({
      case: c, allowed: FIELD_ACTIONS, container: document.getElementById("case-actions"), gps: true,
      submit: function (step) { return queueStep(c, step); },
    });
    var title = document.getElementById("case-title");
    if (title) title.focus();
  }

  function queueStep(c, step) {
    var label = c.number + " " + Y.t("action." + step.action);
    var first = step.photo ? enqueue({ kind: "photo", caseId: c.id, blob: step.photo, name: step.photo.name, photoKind: step.photoKind, label: label }) : Promise.resolve();
    return first.then(function () {
      return enqueue({ kind: "action", caseId: c.id, action: step.action, body: step.body, label: label });
    }).then(function () {
      Y.toast(navigator.onLine ? Y.t("sent") : Y.t("queued"));
      return flush();
    }).then(function () {
      closeCase();
      load();
    });
  }

  function closeCase() {
    document.getElementById("case").hidden = true;
    document.getElementById("panel").hidden = false;
    openCase = null;
  }

  /* --- report a new problem ----------------------------------------------------------------- */
  var reportForm = document.getElementById("report");
  document.getElementById("r-gps").addEventListener("click", locate);
  function locate() {
    var state = document.getElementById("r-gps-state");
    state.textContent = Y.t("loading");
    Y.position().then(function (p) {
      if (!p) { state.textContent = Y.t("gps_fail"); return; }
      reportForm.elements.lon.value = p.lon;
      reportForm.elements.lat.value = p.lat;
      state.textContent = Y.t("gps_ok") + " " + p.lat.toFixed(5) + ", " + p.lon.toFixed(5);
    });
  }
  reportForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var f = reportForm.elements;
    var errorBox = reportForm.querySelector(".form-error");
    var missing = !f.category.value ? "need_category" : !f.description.value.trim() ? "need_description" : !f.lon.value ? "need_place" : "";
    if (missing) {
      errorBox.textContent = Y.t(missing);
      errorBox.hidden = false;
      return;
    }
    errorBox.hidden = true;
    var body = { category: f.category.value, description: f.description.value.trim(), address: f.address.value.trim() };
    if (f.lon.value) { body.lon = Number(f.lon.value); body.lat = Number(f.lat.value); }
    var photo = f.photo.files[0] || null;
    enqueue({ kind: "report", body: body, blob: photo, name: photo ? photo.name : "", label: body.description.slice(0, 20) })
      .then(function () {
        Y.toast(navigator.onLine ? Y.t("sent") : Y.t("queued"));
        reportForm.reset();
        document.getElementById("r-gps-state").textContent = "";
        return flush();
      });
  });

  /* --- wiring ------------------------------------------------------------------------------- */
  document.querySelector(".tabs").addEventListener("click", function (e) {
    var tab = e.target.closest("[role=tab]");
    if (tab) select(tab.dataset.list);
  });
  document.querySelector(".tabs").addEventListener("keydown", function (e) {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    var tabs = Array.prototype.slice.call(document.querySelectorAll(".tabs [role=tab]"));
    var i = tabs.indexOf(document.activeElement);
    var next = tabs[(i + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    next.focus();
    select(next.dataset.list);
  });
  document.getElementById("list").addEventListener("click", function (e) {
    var b = e.target.closest("button[data-id]");
    if (b) showCase(b.dataset.id);
  });
  document.getElementById("back").addEventListener("click", closeCase);
  document.getElementById("flush").addEventListener("click", flush);
  function net() {
    document.getElementById("net").hidden = navigator.onLine;
    if (navigator.onLine) flush();
  }
  window.addEventListener("online", net);
  window.addEventListener("offline", net);
  setInterval(function () { if (navigator.onLine) flush(); }, 15000);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(app.dataset.sw, { scope: "/m/" }).catch(function () { /* pages work without */ });
  }
  /* Web push: offered when the server has VAPID keys and the browser can take it. */
  function urlKey(b64) {
    var pad = "=".repeat((4 - (b64.length % 4)) % 4);
    var raw = atob((b64 + pad).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, function (ch) { return ch.charCodeAt(0); });
  }
  if ("serviceWorker" in navigator && "PushManager" in window) {
    Y.api("/api/notify/push/key").then(function (k) {
      if (!k.enabled || (window.Notification && Notification.permission === "granted")) return;
      var box = document.getElementById("push-box");
      box.hidden = false;
      document.getElementById("push").addEventListener("click", function () {
        navigator.serviceWorker.ready.then(function (reg) {
          return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: urlKey(k.public_key) });
        }).then(function (sub) {
          var json = sub.toJSON();
          return Y.api("/api/notify/push/subscriptions", { method: "POST", body: { endpoint: json.endpoint, keys: json.keys } });
        }).then(function (r) { box.hidden = true; Y.toast(r.detail); }, function (err) { Y.toast(err.message || Y.t("error"), "bad"); });
      });
    }).catch(function () { /* offline */ });
  }
  net();
  showQueue();
  load();
})();
