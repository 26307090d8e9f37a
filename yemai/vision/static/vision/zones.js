// The zone editor: click corners on the camera's picture (image pixels), save through the API.
(function () {
  "use strict";
  var root = document.getElementById("editor");
  if (!root) return;
  var camera = root.dataset.camera;
  var img = document.getElementById("snapshot");
  var svg = document.getElementById("overlay");
  var form = document.getElementById("zone-form");
  var list = document.getElementById("zones");
  var message = document.getElementById("message");
  var progress = document.getElementById("progress");
  var points = [];
  var zones = [];
  var NS = "http://www.w3.org/2000/svg";

  function csrf() {
    return root.dataset.csrf || "";
  }
  function api(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      if (r.status === 204) return null;
      return r.json().then(function (data) {
        if (!r.ok) { throw data; }
        return data;
      });
    });
  }
  function polygon(pts, cls) {
    var p = document.createElementNS(NS, "polygon");
    p.setAttribute("points", pts.map(function (q) { return q[0] + "," + q[1]; }).join(" "));
    p.setAttribute("class", cls);
    p.setAttribute("fill", cls === "drawing" ? "rgba(255,80,0,.25)" : "rgba(255,215,0,.25)");
    p.setAttribute("stroke", cls === "drawing" ? "#ff5000" : "#e0b000");
    p.setAttribute("stroke-width", "2");
    svg.appendChild(p);
  }
  function draw() {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    zones.forEach(function (z) {
      var sx = img.naturalWidth / z.image_width, sy = img.naturalHeight / z.image_height;
      polygon(z.polygon.map(function (q) { return [q[0] * sx, q[1] * sy]; }), "zone");
    });
    if (points.length) polygon(points, "drawing");
    points.forEach(function (q) {
      var c = document.createElementNS(NS, "circle");
      c.setAttribute("cx", q[0]); c.setAttribute("cy", q[1]); c.setAttribute("r", "4");
      c.setAttribute("fill", "#ff5000"); c.setAttribute("class", "corner");
      svg.appendChild(c);
    });
  }
  function loadZones() {
    return api("GET", "/api/vision/cameras/" + camera + "/zones").then(function (data) {
      zones = data;
      while (list.firstChild) list.removeChild(list.firstChild);
      zones.forEach(function (z) {
        var li = document.createElement("li");
        li.textContent = z.name + " · " + z.kind + " · " + z.dwell_s + " s ";
        li.dataset.zone = z.id;
        if (root.dataset.manage === "1") {
          var b = document.createElement("button");
          b.type = "button"; b.textContent = root.dataset.msgDelete;
          b.addEventListener("click", function () {
            api("DELETE", "/api/vision/zones/" + z.id).then(function () {
              message.textContent = root.dataset.msgDeleted; loadZones();
            });
          });
          li.appendChild(b);
        }
        list.appendChild(li);
      });
      draw();
    });
  }
  img.addEventListener("load", function () {
    progress.hidden = true;
    svg.setAttribute("viewBox", "0 0 " + img.naturalWidth + " " + img.naturalHeight);
    loadZones();
  });
  img.addEventListener("error", function () {
    progress.textContent = "✗ " + root.dataset.snapshot;
  });
  img.src = root.dataset.snapshot;
  svg.addEventListener("click", function (ev) {
    if (!form) return;
    var r = svg.getBoundingClientRect();
    var x = (ev.clientX - r.left) * img.naturalWidth / r.width;
    var y = (ev.clientY - r.top) * img.naturalHeight / r.height;
    points.push([Math.round(x), Math.round(y)]);
    draw();
  });
  if (!form) return;
  document.getElementById("clear").addEventListener("click", function () { points = []; draw(); });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (points.length < 3) { message.textContent = root.dataset.msgPoints; return; }
    var f = new FormData(form);
    var labels = (f.get("labels") || "").split(/[,，\s]+/).filter(Boolean);
    var body = {
      name: f.get("name"), kind: f.get("kind"), polygon: points,
      image_width: img.naturalWidth, image_height: img.naturalHeight, labels: labels,
      dwell_s: parseInt(f.get("dwell_s") || "0", 10), cooldown_s: parseInt(f.get("cooldown_s") || "0", 10),
      min_size: parseInt(f.get("min_size") || "0", 10),
      active_from: f.get("active_from") || null, active_to: f.get("active_to") || null,
      organisation: f.get("organisation") ? parseInt(f.get("organisation"), 10) : null,
      category: f.get("category") || "", review_required: f.get("review_required") === "on"
    };
    api("POST", "/api/vision/cameras/" + camera + "/zones", body).then(function () {
      points = []; message.textContent = root.dataset.msgSaved; loadZones();
    }).catch(function (err) {
      message.textContent = JSON.stringify((err && err.errors) || err);
    });
  });
})();
