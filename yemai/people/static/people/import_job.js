// The import job page: poll the job's JSON status every second, move the bar, and reload the
// page once the job has ended so that the server draws the result. The polls say they are polls
// (X-Yemai-Poll): they neither keep the session alive nor write it.
(function () {
  "use strict";
  var box = document.getElementById("import-job");
  if (!box) { return; }
  var bar = document.getElementById("import-progress");
  var fill = bar.querySelector(".import-progress-bar");
  var text = document.getElementById("import-progress-text");
  var state = document.getElementById("import-state");

  function render(data) {
    bar.setAttribute("aria-valuenow", String(data.percent));
    bar.setAttribute("aria-valuetext", data.text);
    fill.style.width = data.percent + "%";
    text.textContent = data.text;
    state.textContent = data.state_label;
    box.dataset.state = data.state;
  }

  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json", "X-Yemai-Poll": "1" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        render(data);
        if (data.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }

  if (box.dataset.state === "waiting" || box.dataset.state === "running") {
    window.setTimeout(poll, 1000);
  }
})();
