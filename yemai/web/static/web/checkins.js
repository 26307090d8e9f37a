/* Check-ins to review: the selfie is not on the page until the reviewer asks for it. "Show
   selfie" loads it from the audited /api/duty/checkins/{id}/photo (each load is one audit
   record; the answer is never cached); "Hide selfie" takes it off the page again. Without
   this script the link opens the same address. Accept and reject are plain forms. */
(function () {
  "use strict";
  var t = window.Y ? window.Y.t : function (k) { return k; };

  document.querySelectorAll("a.selfie-show").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var box = link.parentNode;
      var shown = box.querySelector("img");
      if (shown) {
        shown.remove();
        link.textContent = t("show_selfie");
        return;
      }
      var img = document.createElement("img");
      img.alt = link.getAttribute("data-alt") || "";
      img.className = "selfie-img";
      img.addEventListener("error", function () {
        img.remove();
        var gone = document.createElement("span");
        gone.className = "hint";
        gone.textContent = t("selfie_gone");
        box.replaceChildren(gone);
      });
      img.src = link.getAttribute("data-photo");
      box.appendChild(img);
      link.textContent = t("hide_selfie");
    });
  });
})();
