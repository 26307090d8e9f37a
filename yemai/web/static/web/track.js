/* Follow a report with its tracking code (no account). */
(function () {
  "use strict";
  var form = document.getElementById("track-form");
  var out = document.getElementById("result");
  function look(code) {
    out.innerHTML = "<p>" + Y.esc(Y.t("loading")) + "</p>";
    Y.api("/api/public/cases/" + encodeURIComponent(code)).then(function (c) {
      var html = '<h2 tabindex="-1">' + Y.esc(c.number) + " · " + Y.esc(c.category) + "</h2>" +
        '<p><span class="state">' + Y.esc(Y.t("state")) + ": " + Y.esc(c.state_label) + "</span></p>" +
        (c.merged_into ? "<p>" + Y.esc(Y.t("merged")) + " " + Y.esc(c.merged_into) + "</p>" : "") +
        '<ol class="timeline">' + c.steps.map(function (s) {
          return "<li><time>" + Y.esc(Y.when(s.at)) + "</time> " + Y.esc(s.label) + "</li>";
        }).join("") + "</ol>";
      if (c.can_rate) {
        html += '<p><a class="button primary" href="' + Y.esc(form.dataset.rate) + "?code=" +
          encodeURIComponent(code) + '">' + Y.esc(Y.t("rate_now")) + "</a></p>";
      } else if (c.state === "closed") {
        html += '<p class="hint">' + Y.esc(Y.t("rated")) + "</p>";
      }
      out.innerHTML = html;
      out.querySelector("h2").focus();
    }).catch(function (err) {
      out.innerHTML = '<p class="error" role="alert">' + Y.esc(err.status === 404 ? Y.t("not_found") : err.message) + "</p>";
    });
  }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var code = form.elements.code.value.trim();
    if (code) { history.replaceState(null, "", "?code=" + encodeURIComponent(code)); look(code); }
  });
  try {
    var mine = JSON.parse(localStorage.getItem("yemai.myreports") || "[]");
    if (mine.length) {
      var box = document.getElementById("mine");
      box.hidden = false;
      box.querySelector("span").innerHTML = mine.map(function (c) { return '<a href="?code=' + encodeURIComponent(c) + '">' + Y.esc(c) + "</a>"; }).join(" ");
    }
  } catch (x) { /* private mode */ }
  if (form.elements.code.value) look(form.elements.code.value.trim());
})();
