// The reports page: poll each unfinished job's JSON status and show its progress and files.
(function () {
  "use strict";
  var LABELS = { docx: "Word", xlsx: "Excel", pdf: "PDF" };

  function render(row, data) {
    var bar = row.querySelector("progress");
    var step = row.querySelector(".step");
    var files = row.querySelector(".files");
    bar.value = data.progress;
    bar.textContent = data.progress + "%";
    step.textContent = data.state_label + " " + (data.step || "") + (data.error ? " " + data.error : "");
    row.dataset.state = data.state;
    files.textContent = "";
    Object.keys(data.files).forEach(function (fmt) {
      var a = document.createElement("a");
      a.href = data.files[fmt];
      a.textContent = LABELS[fmt] || fmt;
      files.appendChild(a);
      files.appendChild(document.createTextNode(" "));
    });
  }

  function poll(row) {
    fetch(row.dataset.statusUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        render(row, data);
        if (data.state === "pending" || data.state === "running") {
          window.setTimeout(function () { poll(row); }, 1000);
        }
      })
      .catch(function () { window.setTimeout(function () { poll(row); }, 3000); });
  }

  document.querySelectorAll("tr.job").forEach(function (row) {
    if (row.dataset.state === "pending" || row.dataset.state === "running") { poll(row); }
  });
})();
