/* Patrol mode of the member app (巡查轨迹): while a patrol runs, the phone's fixes
   (navigator.geolocation.watchPosition) are kept on the phone and sent in batches to
   /api/duty/patrols/<id>/points. Start, points and end all survive a lost signal or a reload:
   the start carries a client key and the phone's start time, a batch sent again adds nothing
   (the server skips fixes it already holds), and the end carries the phone's end time.
   Nothing is recorded before "start" or after "end". */
(function () {
  "use strict";
  var box = document.getElementById("patrol");
  var app = document.getElementById("app");
  if (!box || !app) return;
  if (!navigator.geolocation) { box.hidden = true; return; }
  var KEY = "yemai.patrol." + app.dataset.user;
  var BATCH = 200;          // fixes per request
  var EVERY_MS = 30000;     // send at most this often while walking
  var MIN_GAP_MS = 5000;    // one fix every five seconds is enough for a walk
  var button = document.getElementById("patrol-toggle");
  var stateEl = document.getElementById("patrol-state");
  var watch = null;
  var sending = null;
  var lastFix = 0;

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "null"); } catch (x) { return null; }
  }
  function store() {
    try {
      if (patrol) localStorage.setItem(KEY, JSON.stringify(patrol)); else localStorage.removeItem(KEY);
    } catch (x) { /* storage full or private mode: the fixes stay in memory */ }
  }
  var patrol = load();

  function show(note) {
    var active = !!(patrol && !patrol.endedAt);
    button.textContent = active ? box.dataset.stop : box.dataset.start;
    button.setAttribute("aria-pressed", active ? "true" : "false");
    if (note) { stateEl.textContent = note; return; }
    if (!patrol) { stateEl.textContent = ""; return; }
    var text = ((patrol.lengthM || 0) / 1000).toFixed(2) + " " + box.dataset.km;
    if (patrol.pending.length) text += " · " + patrol.pending.length + " " + box.dataset.waiting;
    stateEl.textContent = text;
  }

  function onFix(pos) {
    if (!patrol || patrol.endedAt) return;
    if (pos.timestamp - lastFix < MIN_GAP_MS) return;
    lastFix = pos.timestamp;
    patrol.pending.push({
      lon: pos.coords.longitude,
      lat: pos.coords.latitude,
      accuracy: pos.coords.accuracy,
      recorded_at: new Date(pos.timestamp).toISOString(),
    });
    store();
    show();
  }
  function onFixError(err) {
    if (err && err.code === 1) show(box.dataset.denied); // permission denied
  }

  function watchStart() {
    if (watch !== null) return;
    watch = navigator.geolocation.watchPosition(onFix, onFixError, {
      enableHighAccuracy: true, maximumAge: 5000, timeout: 60000,
    });
  }
  function watchStop() {
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    watch = null;
  }

  function permanent(err) {
    return err instanceof Y.ApiError && err.status >= 400 && err.status < 500 && [401, 408, 429].indexOf(err.status) < 0;
  }

  function sendStart() {
    if (patrol.id) return Promise.resolve();
    return Y.api("/api/duty/patrols", {
      method: "POST", body: { client_key: patrol.key, started_at: patrol.startedAt },
    }).then(function (made) { patrol.id = made.id; store(); });
  }
  function sendPoints() {
    if (!patrol.pending.length) return Promise.resolve();
    var batch = patrol.pending.slice(0, BATCH);
    return Y.api("/api/duty/patrols/" + patrol.id + "/points", { method: "POST", body: { points: batch } })
      .then(function (answer) {
        patrol.pending.splice(0, batch.length);
        patrol.lengthM = answer.patrol.length_m;
        store();
        show();
        return sendPoints();
      }, function (err) {
        if (err instanceof Y.ApiError && err.status === 404) { patrol = null; store(); throw err; }
        if (!permanent(err)) throw err;
        // A batch the server refuses for good (a fix from a wrong clock): drop it, go on.
        patrol.pending.splice(0, batch.length);
        store();
        Y.toast(err.message, "bad");
        return sendPoints();
      });
  }
  function sendEnd() {
    if (!patrol.endedAt) return Promise.resolve();
    var url = "/api/duty/patrols/" + patrol.id + "/end?ended_at=" + encodeURIComponent(patrol.endedAt);
    return Y.api(url, { method: "POST" }).then(function (ended) {
      Y.toast(box.dataset.done + ": " + (ended.length_m / 1000).toFixed(2) + " " + box.dataset.km, "ok");
      patrol = null;
      store();
    }, function (err) {
      if (!permanent(err)) throw err;
      patrol = null; // ended already (an earlier try whose answer was lost)
      store();
    });
  }

  function sync() {
    if (sending || !patrol || !navigator.onLine) return sending || Promise.resolve();
    sending = sendStart().then(sendPoints).then(sendEnd).catch(function () {
      /* offline or server busy: everything stays on the phone for the next try */
    }).then(function () { sending = null; show(); });
    return sending;
  }

  button.addEventListener("click", function () {
    if (patrol && !patrol.endedAt) {
      patrol.endedAt = new Date().toISOString();
      store();
      watchStop();
    } else if (!patrol) {
      patrol = { key: Y.uuid(), startedAt: new Date().toISOString(), id: null, pending: [], lengthM: 0 };
      store();
      watchStart();
    }
    show();
    sync();
  });

  setInterval(sync, EVERY_MS);
  window.addEventListener("online", sync);
  if (patrol && !patrol.endedAt) watchStart(); // the page was reloaded during a patrol
  show();
  sync();
})();
