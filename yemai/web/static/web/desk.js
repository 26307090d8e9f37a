/* The leader's and the department's desks: lists, a case with its history, the steps. */
(function () {
  "use strict";
  var desk = document.getElementById("desk");
  var kind = desk.dataset.kind;
  var LEADER = ["consult", "refer", "handle", "verify", "rework", "close", "approve_extension", "comment", "follow_up"];
  var DEPT = ["receive", "handle", "send_back", "request_extension", "comment"];

  function sources() {
    if (kind === "leader") {
      return Promise.all([Y.api("/api/cases/mine"), Y.api("/api/cases?state=verified")]).then(function (r) {
        return { escalated: r[0].escalated, to_verify: r[0].to_verify, to_close: r[1].items };
      });
    }
    return Promise.all([Y.api("/api/cases?state=referred"), Y.api("/api/cases?state=handled")]).then(function (r) {
      return { referred: r[0].items, handled: r[1].items };
    });
  }

  function load() {
    sources().then(function (lists) {
      desk.querySelectorAll("[data-list]").forEach(function (ul) {
        var rows = lists[ul.dataset.list] || [];
        ul.innerHTML = rows.length ? rows.map(function (c) {
          return '<li class="card"><button type="button" class="open" data-id="' + c.id + '">' +
            '<span class="dot ' + Y.esc(c.deadline || "grey") + '" aria-hidden="true"></span><strong>' + Y.esc(c.number) +
            "</strong> " + Y.esc(c.category_name) + '<span class="sub">' + Y.esc(c.state_label) + " · " +
            Y.esc(c.address || c.grid_name) + "</span></button></li>";
        }).join("") : "<li>" + Y.esc(Y.t("none")) + "</li>";
      });
    }).catch(function (err) { Y.toast(err.message, "bad"); });
    var today = document.getElementById("today");
    if (today) {
      Y.api(today.dataset.url + "?grid=" + encodeURIComponent(desk.dataset.grid || "")).then(function (f) {
        today.querySelectorAll("[data-f]").forEach(function (dd) {
          var v = f[dd.dataset.f];
          dd.textContent = v == null ? "–" : (dd.dataset.f === "satisfaction" || dd.dataset.f === "on_time") ? v + "%" : v;
        });
      });
    }
  }

  function show(id) {
    var view = document.getElementById("case");
    view.hidden = false;
    Y.api("/api/cases/" + id).then(function (c) {
      document.getElementById("case-body").innerHTML = Y.caseHtml(c);
      Y.actionForm({
        case: c, allowed: kind === "leader" ? LEADER : DEPT, container: document.getElementById("case-actions"), gps: kind === "leader",
        submit: function (step) {
          return Y.sendStep(c, step).then(function () { Y.toast(Y.t("done")); view.hidden = true; load(); });
        },
      });
      document.getElementById("case-title").focus();
    }).catch(function (err) { Y.toast(err.message, "bad"); });
  }

  desk.addEventListener("click", function (e) {
    var b = e.target.closest("button[data-id]");
    if (b) show(b.dataset.id);
  });
  document.getElementById("back").addEventListener("click", function () { document.getElementById("case").hidden = true; });
  load();
  setInterval(load, 30000);
})();
