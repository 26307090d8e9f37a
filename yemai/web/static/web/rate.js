/* The resident's rating, with the one-time link sent when the case closed, or with the
   tracking code given when they reported (for a resident the SMS did not reach). */
(function () {
  "use strict";
  var box = document.getElementById("rate");
  var form = document.getElementById("rate-form");
  var code = box.dataset.code;
  var url = code ? "/api/public/cases/" + encodeURIComponent(code)
    : "/api/public/rate/" + encodeURIComponent(box.dataset.token);
  var post = code ? url + "/rating" : url;
  var info = document.getElementById("case-info");
  Y.api(url).then(function (c) {
    if (code && !c.can_rate) { throw { message: Y.t("cannot_rate") }; }
    info.innerHTML = "<p>" + Y.esc(Y.t("case")) + " <strong>" + Y.esc(c.number) + "</strong> · " + Y.esc(c.category) +
      (c.closed_at ? " · " + Y.esc(Y.t("closed")) + " " + Y.esc(Y.when(c.closed_at)) : "") + "</p>";
    form.hidden = false;
  }).catch(function (err) { info.innerHTML = '<p class="error" role="alert">' + Y.esc(err.message) + "</p>"; });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var f = new FormData(form);
    var error = form.querySelector(".form-error");
    if (!f.get("score") || !f.get("fixed")) { error.textContent = Y.t("choose"); error.hidden = false; return; }
    Y.api(post, { method: "POST", body: { score: Number(f.get("score")), fixed: f.get("fixed"), comment: f.get("comment") || "" } })
      .then(function (r) {
        form.hidden = true;
        var thanks = document.getElementById("thanks");
        thanks.textContent = r.message;
        thanks.hidden = false;
        thanks.focus();
      }).catch(function (err) { error.textContent = err.message; error.hidden = false; });
  });
})();
