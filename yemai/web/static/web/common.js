/* Yemai pages: shared helpers (no framework). Strings come translated from the page
   (<template id="i18n">), the CSRF token from <meta name="csrf-token">. */
(function () {
  "use strict";
  var strings = {};
  var tpl = document.getElementById("i18n");
  if (tpl) {
    tpl.content.querySelectorAll("[data-k]").forEach(function (el) {
      strings[el.getAttribute("data-k")] = el.textContent;
    });
  }

  function t(key) { return strings[key] || key; }

  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content && meta.content !== "NOTPROVIDED") return meta.content;
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function ApiError(status, body) {
    this.status = status;
    this.body = body || {};
    this.message = messageOf(this.body) || ("HTTP " + status);
  }

  function messageOf(body) {
    if (!body) return "";
    var errors = body.errors;
    if (Array.isArray(errors)) {
      return errors.map(function (e) { return (e.field ? e.field + ": " : "") + e.message; }).join("; ");
    }
    if (errors && typeof errors === "object") {
      return Object.keys(errors).map(function (k) {
        return (k === "__all__" ? "" : k + ": ") + [].concat(errors[k]).join(" ");
      }).join("; ");
    }
    return body.detail || "";
  }

  /* fetch with the session and CSRF; JSON in and out; throws ApiError on 4xx/5xx and
     TypeError when the network is down. */
  function api(url, options) {
    options = options || {};
    var headers = Object.assign({ "X-CSRFToken": csrf(), Accept: "application/json" }, options.headers || {});
    var body = options.body;
    if (body && !(body instanceof FormData) && typeof body !== "string") {
      body = JSON.stringify(body);
      headers["Content-Type"] = "application/json";
    }
    return fetch(url, {
      method: options.method || "GET",
      headers: headers,
      body: body,
      credentials: "same-origin",
      cache: "no-store",
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var parse = type.indexOf("json") >= 0 ? response.json() : response.text();
      return parse.then(function (data) {
        if (!response.ok) throw new ApiError(response.status, typeof data === "object" ? data : { detail: data });
        return data;
      });
    });
  }

  var toastTimer = null;
  function toast(text, kind) {
    var el = document.getElementById("toast");
    if (!el) return;
    el.textContent = text;
    el.className = "toast show " + (kind || "");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.className = "toast"; }, 5000);
  }

  function when(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d)) return iso;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "k" + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  /* A case with its history and photos, as HTML (the detail answer of /api/cases/<id>). */
  function caseHtml(c) {
    var colour = c.deadline || "grey";
    var html = '<div class="case-head"><h2 id="case-title" tabindex="-1">' + esc(c.number) + "</h2>" +
      '<span class="badge ' + esc(colour) + '">' + esc(t(colour)) + "</span> " +
      '<span class="state">' + esc(c.state_label) + "</span></div>" +
      '<p class="cat">' + esc(c.main_category ? c.main_category + " / " : "") + esc(c.category_name) + "</p>" +
      '<p class="desc">' + esc(c.description) + "</p><dl class=\"facts\">" +
      (c.address ? "<dt>" + esc(t("place")) + "</dt><dd>" + esc(c.address) + "</dd>" : "") +
      "<dt>" + esc(t("grid")) + "</dt><dd>" + esc(c.grid_name) + "</dd>" +
      (c.assignee ? "<dt>" + esc(t("assignee")) + "</dt><dd>" + esc(c.assignee.name) + "</dd>" : "") +
      "<dt>" + esc(t("reported")) + "</dt><dd>" + esc(when(c.reported_at)) + "</dd>" +
      (c.due_at ? "<dt>" + esc(t("due")) + "</dt><dd>" + esc(when(c.due_at)) + "</dd>" : "") +
      "</dl>";
    if (c.photos && c.photos.length) {
      html += "<h3>" + esc(t("photos")) + '</h3><ul class="photos">' + c.photos.map(function (p) {
        return '<li><a href="' + esc(p.url) + '" target="_blank" rel="noopener"><img src="' + esc(p.thumbnail_url) +
          '" alt="' + esc(t("photo") + " " + p.kind) + '" loading="lazy" width="96" height="96"></a></li>';
      }).join("") + "</ul>";
    }
    html += "<h3>" + esc(t("timeline")) + '</h3><ol class="timeline">' + (c.events || []).map(function (e) {
      return "<li><time>" + esc(when(e.at)) + "</time> <strong>" + esc(e.action_label) + "</strong> " +
        esc(e.actor) + (e.note ? '<br><span class="note">' + esc(e.note) + "</span>" : "") +
        (e.photos && e.photos.length ? ' <span class="pill">📷 ' + e.photos.length + "</span>" : "") + "</li>";
    }).join("") + "</ol>";
    return html;
  }

  /* Signing out forgets the case lists and details kept for offline use (they name places and
     describe residents' problems): a shared phone keeps nothing of the last user's work.
     Steps still waiting to be sent stay queued (IndexedDB) and go out at the next sign-in. */
  document.querySelectorAll("form.logout").forEach(function (form) {
    form.addEventListener("submit", function () {
      try {
        Object.keys(localStorage).forEach(function (key) {
          if (key.indexOf("yemai.mine.") === 0 || key.indexOf("yemai.case.") === 0) localStorage.removeItem(key);
        });
      } catch (x) { /* private mode */ }
    });
  });

  window.Y = { t: t, esc: esc, api: api, csrf: csrf, toast: toast, when: when, uuid: uuid, caseHtml: caseHtml, ApiError: ApiError };
})();
