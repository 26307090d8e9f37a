/* Resident portal: pin or GPS, category, similar open cases nearby, photo, tracking code. */
(function () {
  "use strict";
  var box = document.getElementById("portal");
  var form = document.getElementById("report-form");
  var tiles = JSON.parse(document.getElementById("tiles").textContent);
  var gcj = tiles.crs === "gcj02";
  var map = L.map("pin-map").setView([Number(box.dataset.lat || 30.2), Number(box.dataset.lon || 121.2)], box.dataset.lat ? 16 : 12);
  tiles.layers.forEach(function (layer) {
    L.tileLayer(layer.url, { subdomains: layer.subdomains || "abc", maxZoom: 18, attribution: tiles.attribution }).addTo(map);
  });
  var pin = null;
  var error = form.querySelector(".form-error");

  /* WGS-84 → GCJ-02 (the published forward transform), for pins on an Amap base map. */
  var A = 6378245.0, EE = 0.00669342162296594323;
  function outOfChina(lon, lat) { return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271; }
  function tLat(x, y) { var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)); r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3; r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3; r += (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3; return r; }
  function tLon(x, y) { var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)); r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3; r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3; r += (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3; return r; }
  function toGcj(lon, lat) {
    if (outOfChina(lon, lat)) return [lon, lat];
    var dLat = tLat(lon - 105, lat - 35), dLon = tLon(lon - 105, lat - 35);
    var rad = lat / 180 * Math.PI, magic = 1 - EE * Math.sin(rad) * Math.sin(rad), sq = Math.sqrt(magic);
    dLat = (dLat * 180) / ((A * (1 - EE)) / (magic * sq) * Math.PI);
    dLon = (dLon * 180) / (A / sq * Math.cos(rad) * Math.PI);
    return [lon + dLon, lat + dLat];
  }

  fetch(box.dataset.grids, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
    var layer = L.geoJSON(data, { style: { color: "#1b5e20", weight: 1, fillOpacity: 0.05 }, interactive: false }).addTo(map);
    if (!box.dataset.lat && data.features.length) map.fitBounds(layer.getBounds());
  });

  /* The pin is kept in the map's datum; the report says which (crs). */
  function setPin(lat, lon, shown) {
    if (pin) pin.setLatLng([lat, lon]); else pin = L.marker([lat, lon], { keyboard: false, title: shown }).addTo(map);
    form.elements.lon.value = lon.toFixed(6);
    form.elements.lat.value = lat.toFixed(6);
    document.getElementById("pin-state").textContent = Y.t("pin_ok") + " " + lat.toFixed(5) + ", " + lon.toFixed(5);
    similar();
  }
  map.on("click", function (e) { setPin(e.latlng.lat, e.latlng.lng, ""); });
  document.getElementById("locate").addEventListener("click", function () {
    if (!navigator.geolocation) { document.getElementById("pin-state").textContent = Y.t("gps_fail"); return; }
    document.getElementById("pin-state").textContent = Y.t("loading");
    navigator.geolocation.getCurrentPosition(function (p) {
      var at = gcj ? toGcj(p.coords.longitude, p.coords.latitude) : [p.coords.longitude, p.coords.latitude];
      map.setView([at[1], at[0]], 17);
      setPin(at[1], at[0], "");
    }, function () { document.getElementById("pin-state").textContent = Y.t("gps_fail"); }, { enableHighAccuracy: true, timeout: 10000 });
  });
  form.elements.category.addEventListener("change", similar);

  function similar() {
    var f = form.elements;
    var panel = document.getElementById("similar");
    if (!f.category.value || !f.lon.value) { panel.hidden = true; return; }
    var url = "/api/public/similar?category=" + encodeURIComponent(f.category.value) + "&lon=" + f.lon.value + "&lat=" + f.lat.value + "&crs=" + tiles.crs;
    Y.api(url).then(function (rows) {
      panel.hidden = rows.length === 0;
      panel.querySelector("ul").innerHTML = rows.map(function (c) {
        return "<li><strong>" + Y.esc(c.category) + "</strong> · " + Y.esc(c.state_label) + " · " + Math.round(c.distance_m) + " " + Y.esc(Y.t("metres")) + " · " + Y.esc(Y.when(c.reported_at)) + " (" + Y.esc(c.number) + ")</li>";
      }).join("");
    }).catch(function () { panel.hidden = true; });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var f = form.elements;
    var problem = !f.category.value ? "need_category" : !f.description.value.trim() ? "need_description" : !f.lon.value ? "need_place" : "";
    if (problem) {
      error.textContent = Y.t(problem);
      error.hidden = false;
      (problem === "need_category" ? f.category : problem === "need_description" ? f.description : document.getElementById("locate")).focus();
      return;
    }
    error.hidden = true;
    var body = {
      category: f.category.value, description: f.description.value.trim(), address: f.address.value.trim(),
      lon: Number(f.lon.value), lat: Number(f.lat.value), crs: tiles.crs, name: f.name.value.trim(), phone: f.phone.value.trim(),
    };
    var button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    Y.api("/api/public/cases", { method: "POST", body: body }).then(function (made) {
      var photo = f.photo.files[0];
      var then = Promise.resolve();
      if (photo) {
        var fd = new FormData();
        fd.append("code", made.tracking_code);
        fd.append("file", photo);
        then = Y.api(box.dataset.photo, { method: "POST", body: fd }).catch(function (err) {
          Y.toast(Y.t("photo_failed") + " " + err.message, "bad");
        });
      }
      return then.then(function () {
        form.hidden = true;
        var done = document.getElementById("done");
        done.hidden = false;
        document.getElementById("code").textContent = made.tracking_code;
        document.getElementById("number").textContent = made.number;
        document.getElementById("track-link").href = box.dataset.track + "?code=" + encodeURIComponent(made.tracking_code);
        try { localStorage.setItem("yemai.myreports", JSON.stringify([made.tracking_code].concat(JSON.parse(localStorage.getItem("yemai.myreports") || "[]")).slice(0, 20))); } catch (x) { /* private mode */ }
        done.focus();
      });
    }).catch(function (err) {
      error.textContent = err.message;
      error.hidden = false;
    }).then(function () { button.disabled = false; });
  });
})();
