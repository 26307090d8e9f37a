/* The action form under a case: pick a step the user may take now, add a note, a photo,
   the GPS point and what the step needs (participants, department, reason, hours). */
(function () {
  "use strict";
  var PHOTO_KIND = { handle: "after", verify: "evidence", accept: "before", start: "before", escalate: "before", comment: "evidence", consult: "evidence" };
  var NEEDS = { consult: "participants", refer: "department", dispatch: "assignee", park: "reason", reject: "reason", request_extension: "hours", approve_extension: "hours" };

  function position() {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) return resolve(null);
      navigator.geolocation.getCurrentPosition(
        function (p) { resolve({ lon: p.coords.longitude, lat: p.coords.latitude }); },
        function () { resolve(null); },
        { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 }
      );
    });
  }

  function fillExtras(form, c, action) {
    Object.keys(NEEDS).forEach(function (a) {
      var box = form.querySelector(".f-" + NEEDS[a]);
      if (box) box.hidden = true;
    });
    var need = NEEDS[action];
    if (!need) return;
    var box = form.querySelector(".f-" + need);
    box.hidden = false;
    if (need === "department" && !box.dataset.loaded) {
      box.dataset.loaded = "1";
      Y.api("/centre/departments.json?case=" + c.id).then(function (rows) {
        box.querySelector("select").innerHTML = rows.map(function (d) {
          return '<option value="' + d.id + '">' + Y.esc(d.name) + "</option>";
        }).join("");
      });
    }
    if (need === "assignee" && !box.dataset.loaded) {
      box.dataset.loaded = "1";
      Y.api("/api/cases/" + c.id + "/assignees").then(function (rows) {
        box.querySelector("select").innerHTML = rows.map(function (m) {
          return '<option value="' + m.id + '">' + Y.esc(m.name + " · " + m.grid + (m.on_duty ? " ✓" : "") + " (" + m.open_cases + ")") + "</option>";
        }).join("");
      });
    }
    if (need === "participants" && !box.dataset.loaded) {
      box.dataset.loaded = "1";
      Y.api("/api/grids/teams?grid=" + encodeURIComponent(c.grid)).then(function (teams) {
        var html = "";
        teams.forEach(function (team) {
          team.members.forEach(function (m) {
            html += '<label><input type="checkbox" name="participants" value="' + m.id + '"> ' +
              Y.esc(team.kind_label + " · " + m.name) + "</label>";
          });
        });
        box.querySelector(".people").innerHTML = html || Y.esc(Y.t("none"));
      });
    }
  }

  /* options: {case, allowed: [codes], container, gps: bool, submit: fn(step) → Promise} */
  function actionForm(options) {
    var c = options.case;
    var allowed = (c.allowed_actions || []).filter(function (a) { return options.allowed.indexOf(a) >= 0; });
    var container = options.container;
    container.innerHTML = "";
    if (!allowed.length) return;
    var form = document.getElementById("action-form").content.firstElementChild.cloneNode(true);
    var opts = form.querySelector(".opts");
    opts.innerHTML = allowed.map(function (a, i) {
      return '<label class="opt"><input type="radio" name="action" value="' + a + '"' + (i === 0 ? " checked" : "") + "> " +
        Y.esc(Y.t("action." + a)) + "</label>";
    }).join("");
    if (!options.gps) form.querySelector(".f-gps").hidden = true;
    fillExtras(form, c, allowed[0]);
    form.addEventListener("change", function (e) {
      if (e.target.name === "action") fillExtras(form, c, e.target.value);
    });
    var gps = null;
    var gpsBox = form.querySelector('input[name="gps"]');
    gpsBox.addEventListener("change", function () {
      var state = form.querySelector(".gps-state");
      gps = null;
      if (!gpsBox.checked) { state.textContent = ""; return; }
      state.textContent = Y.t("loading");
      position().then(function (p) {
        gps = p;
        state.textContent = p ? Y.t("gps_ok") + " " + p.lat.toFixed(5) + ", " + p.lon.toFixed(5) : Y.t("gps_fail");
      });
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var data = new FormData(form);
      var action = data.get("action");
      var errorBox = form.querySelector(".form-error");
      var photo = data.get("photo");
      if (photo && !photo.size) photo = null;
      if (action === "handle" && !photo && c.photos.filter(function (p) { return p.kind === "after"; }).length === 0) {
        errorBox.textContent = Y.t("photo_needed");
        errorBox.hidden = false;
        return;
      }
      var body = { note: data.get("note") || "" };
      if (gps) { body.lon = gps.lon; body.lat = gps.lat; }
      if (action === "consult") body.participants = data.getAll("participants").map(Number);
      if (action === "refer") body.department = Number(data.get("department"));
      if (action === "dispatch") body.assignee = Number(data.get("assignee"));
      if (action === "park" || action === "reject") body.reason = data.get("reason") || "";
      if (action === "request_extension" || action === "approve_extension") body.hours = Number(data.get("hours"));
      errorBox.hidden = true;
      form.querySelector('button[type="submit"]').disabled = true;
      options.submit({ action: action, body: body, photo: photo, photoKind: PHOTO_KIND[action] || "evidence" })
        .catch(function (err) {
          errorBox.textContent = err.message || Y.t("error");
          errorBox.hidden = false;
        })
        .then(function () { form.querySelector('button[type="submit"]').disabled = false; });
    });
    container.appendChild(form);
  }

  /* Desk pages (leader, department): send at once, photo first. */
  function sendStep(c, step) {
    var first = Promise.resolve();
    if (step.photo) {
      var fd = new FormData();
      fd.append("file", step.photo);
      fd.append("kind", step.photoKind);
      first = Y.api("/api/cases/" + c.id + "/photos", { method: "POST", body: fd });
    }
    return first.then(function () {
      return Y.api("/api/cases/" + c.id + "/actions/" + step.action, {
        method: "POST", body: step.body, headers: { "Idempotency-Key": Y.uuid() },
      });
    });
  }

  Y.actionForm = actionForm;
  Y.sendStep = sendStep;
  Y.position = position;
})();
