/* Command centre (一网统管): grids, cases (server-side clusters), cameras, service points. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  var tiles = JSON.parse(document.getElementById("tiles").textContent);
  var form = document.getElementById("filters");
  var detail = document.getElementById("detail");
  var map = L.map(el, { preferCanvas: false, zoomControl: true }).setView([30.2, 121.2], 12);
  tiles.layers.forEach(function (layer) {
    L.tileLayer(layer.url, { subdomains: layer.subdomains || "abc", maxZoom: 18, attribution: tiles.attribution }).addTo(map);
  });
  if (!tiles.layers.length) el.classList.add("blank");

  var grids = L.geoJSON(null, { style: gridStyle, onEachFeature: gridPopup }).addTo(map);
  var cases = L.layerGroup().addTo(map);
  var cameras = L.layerGroup().addTo(map);
  var points = L.layerGroup().addTo(map);
  var layers = { grids: grids, cases: cases, cameras: cameras, points: points };
  var colours = { green: "#2e7d32", yellow: "#f9a825", red: "#c62828", grey: "#616161" };
  var fitted = false;
  var CENTRE_ACTIONS = ["register", "reject", "dispatch", "consult", "refer", "handle", "verify", "rework", "close", "supervise",
    "approve_extension", "park", "unpark", "withdraw", "follow_up", "comment"];
  var latest = new Date().toISOString();

  function colourBy() { return form.querySelector('input[name="colour"]:checked').value; }

  function ramp(value, stops) {
    for (var i = 0; i < stops.length; i++) if (value <= stops[i][0]) return stops[i][1];
    return stops[stops.length - 1][1];
  }

  function gridStyle(feature) {
    var p = feature.properties;
    var fill;
    if (colourBy() === "on_time") {
      fill = p.on_time == null ? "#bdbdbd" : ramp(100 - p.on_time, [[5, "#1b5e20"], [15, "#66bb6a"], [30, "#fdd835"], [50, "#fb8c00"], [100, "#c62828"]]);
    } else {
      fill = ramp(p.open, [[0, "#e8f5e9"], [5, "#a5d6a7"], [20, "#fdd835"], [50, "#fb8c00"], [1e9, "#c62828"]]);
    }
    return { color: "#1b5e20", weight: 1, fillColor: fill, fillOpacity: 0.35 };
  }

  function gridPopup(feature, layer) {
    var p = feature.properties;
    layer.bindTooltip(Y.esc(p.name) + "<br>" + Y.esc(Y.t("open_cases")) + ": " + p.open +
      "<br>" + Y.esc(Y.t("on_time_rate")) + ": " + (p.on_time == null ? Y.esc(Y.t("no_data")) : p.on_time + "%"), { sticky: true });
  }

  function filters() {
    var data = new FormData(form);
    var out = {};
    ["category", "state", "source", "period"].forEach(function (k) { out[k] = data.get(k) || ""; });
    return out;
  }

  function query(params) {
    return Object.keys(params).map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
  }

  function loadLayers() {
    return Y.api(el.dataset.layers).then(function (data) {
      grids.clearLayers();
      grids.addData(data.grids);
      if (!fitted && data.grids.features.length) { map.fitBounds(grids.getBounds()); fitted = true; }
      points.clearLayers();
      data.points.forEach(function (p) {
        L.circleMarker([p.lat, p.lon], { radius: 7, color: "#0d47a1", weight: 2, fillColor: "#fff", fillOpacity: 1 })
          .bindPopup("<strong>" + Y.esc(Y.t("service_point")) + "</strong><br>" + Y.esc(p.name) + "<br>" + Y.esc(p.address) +
            (p.hours ? "<br>" + Y.esc(Y.t("hours_open")) + ": " + Y.esc(p.hours) : "")).addTo(points);
      });
      cameras.clearLayers();
      document.getElementById("camera-note").hidden = data.cameras !== null;
      (data.cameras || []).forEach(function (c) {
        L.circleMarker([c.lat, c.lon], { radius: 4, color: c.enabled ? "#4a148c" : "#9e9e9e", weight: 1, fillOpacity: 0.8 })
          .bindTooltip(Y.esc(Y.t("camera")) + " " + Y.esc(c.name)).addTo(cameras);
      });
      if (!fitted) loadCases();
    });
  }

  var pending = null;
  function loadCases() {
    var b = map.getBounds();
    var params = Object.assign(filters(), {
      v: latest,
      zoom: map.getZoom(),
      bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(","),
    });
    var ticket = pending = {};
    return Y.api(el.dataset.cases + "?" + query(params)).then(function (data) {
      if (ticket !== pending) return;
      cases.clearLayers();
      data.points.forEach(function (p) {
        var m = L.circleMarker([p.lat, p.lon], { radius: 8, color: "#212121", weight: 1, fillColor: colours[p.colour], fillOpacity: 0.95 });
        m.bindTooltip(Y.esc(p.number + " " + p.category + " · " + p.state_label));
        m.on("click", function () { openCase(p.id); });
        m.addTo(cases);
        var path = m.getElement && m.getElement();
        if (path) path.setAttribute("data-case", p.number);
      });
      data.clusters.forEach(function (c) {
        var worst = c.red ? "red" : c.yellow ? "yellow" : "green";
        var size = 28 + Math.min(24, Math.round(Math.log(c.count) * 4));
        var icon = L.divIcon({ className: "cluster " + worst, html: "<span>" + c.count + "</span>", iconSize: [size, size] });
        var m = L.marker([c.lat, c.lon], { icon: icon, keyboard: true, title: c.count + " " + Y.t("cases") });
        m.on("click", function () { map.fitBounds(c.bounds); });
        m.addTo(cases);
      });
      document.getElementById("count").textContent = data.total + " " + Y.t("cases");
      var list = document.getElementById("case-list");
      list.innerHTML = data.points.slice(0, 50).map(function (p) {
        return '<li><button type="button" class="link" data-id="' + p.id + '"><span class="dot ' + Y.esc(p.colour) + '"></span>' +
          Y.esc(p.number) + " " + Y.esc(p.category) + " · " + Y.esc(p.state_label) + "</button></li>";
      }).join("");
    }).catch(function (err) { Y.toast(err.message || Y.t("error"), "bad"); });
  }

  function openCase(id) {
    detail.hidden = false;
    detail.innerHTML = "<p>" + Y.esc(Y.t("loading")) + "</p>";
    Y.api("/api/cases/" + id).then(function (c) {
      detail.innerHTML = '<button type="button" class="close" aria-label="' + Y.esc(Y.t("close_panel")) + '">×</button>' + Y.caseHtml(c) + '<div id="detail-actions"></div>';
      detail.querySelector(".close").addEventListener("click", function () { detail.hidden = true; });
      Y.actionForm({
        case: c, allowed: CENTRE_ACTIONS, container: document.getElementById("detail-actions"), gps: false,
        submit: function (step) {
          return Y.sendStep(c, step).then(function () { Y.toast(Y.t("done")); openCase(c.id); loadCases(); loadToday(); loadQueue(); });
        },
      });
      detail.querySelector("#case-title").focus();
    }).catch(function (err) { detail.innerHTML = '<p class="error">' + Y.esc(err.message) + "</p>"; });
  }

  function loadQueue() {
    return Y.api("/api/cases/queue").then(function (page) {
      document.getElementById("queue-n").textContent = "(" + page.count + ")";
      document.getElementById("queue-list").innerHTML = page.items.slice(0, 20).map(function (c) {
        return '<li><button type="button" class="link" data-id="' + c.id + '">' + Y.esc(c.number) + " " + Y.esc(c.category_name) +
          " · " + Y.esc(c.state_label) + " · " + Y.esc(c.grid_name) + "</button></li>";
      }).join("") || "<li>" + Y.esc(Y.t("none")) + "</li>";
    }).catch(function () { /* not every role has a queue */ });
  }

  function loadToday() {
    return Y.api(el.dataset.today).then(function (f) {
      document.querySelectorAll("#today [data-f]").forEach(function (dd) {
        var v = f[dd.dataset.f];
        dd.textContent = v == null ? "–" : dd.dataset.f === "satisfaction" ? v + "%" : v;
      });
    });
  }

  function poll() {
    Y.api(el.dataset.changes + "?since=" + encodeURIComponent(latest)).then(function (data) {
      if (data.changed) {
        latest = data.latest;
        data.new.forEach(function (c) { Y.toast(Y.t("new_case") + " " + c.number + " " + c.category + " · " + c.grid_name); });
        loadCases(); loadToday(); loadLayers(); loadQueue();
      }
    }).catch(function () { /* next time */ });
  }

  form.addEventListener("change", function (e) {
    if (e.target.name === "colour") { grids.setStyle(gridStyle); return; }
    if (e.target.name === "layer") {
      var layer = layers[e.target.value];
      if (e.target.checked) map.addLayer(layer); else map.removeLayer(layer);
      return;
    }
    loadCases();
  });
  ["case-list", "queue-list"].forEach(function (id) {
    document.getElementById(id).addEventListener("click", function (e) {
      var b = e.target.closest("button[data-id]");
      if (b) openCase(b.dataset.id);
    });
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); loadCases(); });
  map.on("moveend", loadCases);
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") detail.hidden = true; });
  window.yemaiOpenCase = openCase;
  loadLayers().then(loadCases);
  loadToday();
  loadQueue();
  setInterval(poll, 5000);
})();
