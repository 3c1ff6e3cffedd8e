/* 意见与建议: send a message to the API, keep the draft until it is acknowledged,
   retry with the same Idempotency-Key after a network failure, follow a case, rate it.
   Plain JavaScript, no framework. Strings come from the page (#portal-messages). */
(function () {
  "use strict";
  var M = JSON.parse(document.getElementById("portal-messages").textContent);
  var DRAFT = "portal.suggestion.draft";
  var RETRIES = [2000, 4000, 8000, 15000];

  function fmt(s, v) {
    return s.replace(/\{(\w+)\}/g, function (_, k) { return v[k]; });
  }
  function local(iso) {
    try {
      return new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
    } catch (e) { return iso; }
  }
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function store(key, value) {
    try {
      if (value === null) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify(value));
    } catch (e) { /* private mode: the form still works, without a saved draft */ }
  }
  function load(key) {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  /* ---- the form ------------------------------------------------------------------ */
  var form = document.getElementById("portal-suggestion");
  if (form) {
    var status = form.querySelector(".portal-status");
    var summary = form.querySelector(".portal-error-summary");
    var sending = false;

    var collect = function () {
      var f = form.elements, body = {
        kind: (form.querySelector("input[name=kind]:checked") || {}).value || "",
        category: f.category.value, subject: f.subject.value.trim(), body: f.body.value.trim(),
        building: f.building.value, anonymous: f.anonymous.checked, website: f.website.value
      };
      if (!body.anonymous) {
        body.unit = f.unit.value.trim();
        body.contact = {};
        ["name", "phone", "email"].forEach(function (k) {
          var v = f["contact." + k].value.trim();
          if (v) body.contact[k] = v;
        });
      }
      return body;
    };
    var fill = function (d) {
      var f = form.elements;
      if (d.kind) { var r = form.querySelector("input[name=kind][value=" + d.kind + "]"); if (r) r.checked = true; }
      ["category", "subject", "body", "building"].forEach(function (k) { if (d[k]) f[k].value = d[k]; });
      f.anonymous.checked = !!d.anonymous;
      if (d.unit) f.unit.value = d.unit;
      var c = d.contact || {};
      ["name", "phone", "email"].forEach(function (k) { if (c[k]) f["contact." + k].value = c[k]; });
      toggleContact();
    };
    var toggleContact = function () {
      document.getElementById("f-contact").hidden = form.elements.anonymous.checked;
    };
    // The key names one message: once a body has been sent with it, an edited body gets
    // a new key (the server would refuse the old key for different content).
    var saveDraft = function () {
      var d = load(DRAFT) || {}, body = collect(), key = d.key || newKey();
      if (d.sent && d.sent !== JSON.stringify(body)) key = newKey();
      store(DRAFT, { key: key, body: body, pending: d.pending || false,
                     sent: key === d.key ? d.sent : null });
    };
    var showError = function (field, message) {
      var el = document.getElementById("err-" + field);
      var input = form.querySelector("[name='" + field + "']");
      if (input) input.setAttribute("aria-invalid", "true");
      if (el) { el.textContent = message; el.hidden = false; }
    };
    var clearErrors = function () {
      form.querySelectorAll(".portal-field-error").forEach(function (e) { e.hidden = true; e.textContent = ""; });
      form.querySelectorAll("[aria-invalid]").forEach(function (e) { e.removeAttribute("aria-invalid"); });
      summary.hidden = true;
    };
    var check = function (b) {
      var errors = [];
      if (!b.kind) errors.push(["kind", M.choose]);
      if (!b.category) errors.push(["category", M.choose]);
      [["subject", form.elements.subject], ["body", form.elements.body]].forEach(function (p) {
        var v = b[p[0]], el = p[1];
        if (!v) errors.push([p[0], M.required]);
        else if (v.length < +el.getAttribute("minlength")) errors.push([p[0], M.too_short]);
      });
      return errors;
    };
    var done = function (res) {
      store(DRAFT, null);
      form.hidden = true;
      var box = document.getElementById("portal-receipt");
      box.querySelector("[data-receipt]").textContent = res.receipt;
      box.querySelector("[data-respond]").textContent =
        fmt(M.respond, { hours: res.respond_within_hours, time: local(res.respond_by) });
      box.querySelector("[data-status-link]").href = form.dataset.statusUrl + "?code=" + encodeURIComponent(res.receipt);
      box.hidden = false;
      box.focus();
    };
    var send = async function () {
      if (sending) return;
      var d = load(DRAFT);
      if (!d) return;
      sending = true;
      d.pending = true;
      d.sent = JSON.stringify(d.body);
      store(DRAFT, d);
      status.textContent = M.sending;
      for (var attempt = 0; ; attempt++) {
        var res = null, failed = false;
        try {
          res = await fetch(form.dataset.api + "/suggestions", {
            method: "POST",
            headers: { "Content-Type": "application/json", "Idempotency-Key": d.key },
            body: JSON.stringify(d.body)
          });
        } catch (e) { failed = true; }
        if (!failed && (res.status === 200 || res.status === 201)) {
          sending = false;
          status.textContent = "";
          done(await res.json());
          return;
        }
        if (!failed && res.status === 429) {
          sending = false;
          d.pending = false;
          store(DRAFT, d);
          status.textContent = fmt(M.rate_limited, { s: res.headers.get("Retry-After") || 60 });
          return;
        }
        if (!failed && res.status === 422) {  // key already used for another body: a new key
          d.key = newKey();
          d.sent = JSON.stringify(d.body);
          store(DRAFT, d);
          continue;
        }
        if (!failed && res.status < 500) {
          sending = false;
          d.pending = false;
          store(DRAFT, d);
          var err = {};
          try { err = await res.json(); } catch (e) { /* not JSON */ }
          status.textContent = "";
          if (err.field) {
            showError(err.field, M[err.code] || err.message);
            summary.textContent = M.fix;
            summary.hidden = false;
          } else {
            status.textContent = M.failed;
          }
          return;
        }
        // network failure or 5xx: nothing was stored, or it was and the retry returns it
        if (attempt >= RETRIES.length) {
          sending = false;
          status.textContent = M.offline;
          return;
        }
        status.textContent = fmt(M.retrying, { n: attempt + 1 });
        await sleep(RETRIES[attempt]);
      }
    };

    form.addEventListener("input", saveDraft);
    form.addEventListener("change", function () { toggleContact(); saveDraft(); });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      clearErrors();
      saveDraft();
      var d = load(DRAFT), errors = check(d.body);
      if (errors.length) {
        errors.forEach(function (e) { showError(e[0], e[1]); });
        summary.textContent = M.fix;
        summary.hidden = false;
        var first = form.querySelector("[aria-invalid]");
        if (first) first.focus();
        return;
      }
      send();
    });
    window.addEventListener("online", function () {
      var d = load(DRAFT);
      if (d && d.pending) send();
    });
    var draft = load(DRAFT);
    if (draft && draft.body) {
      fill(draft.body);
      status.textContent = M.draft_restored;
      if (draft.pending && navigator.onLine !== false) send();
    }
  }

  /* ---- following a case ------------------------------------------------------------ */
  var lookup = document.getElementById("portal-lookup");
  if (lookup) {
    var lstatus = lookup.querySelector(".portal-status");
    var box = document.getElementById("portal-case");
    var rate = document.getElementById("portal-rate");
    var current = null;
    var normal = function (s) {
      var raw = s.toUpperCase().replace(/[\s-]/g, "");
      return /^[2-9A-HJKMNP-Z]{8}$/.test(raw) ? raw.slice(0, 4) + "-" + raw.slice(4) : null;
    };
    var show = function (c) {
      current = c.receipt;
      box.querySelector("[data-receipt]").textContent = c.receipt;
      box.querySelector("[data-kind]").textContent = M.kinds[c.kind] || c.kind;
      box.querySelector("[data-category]").textContent = M.categories[c.category] || c.category;
      box.querySelector("[data-created]").textContent = local(c.created_at);
      box.querySelector("[data-respond]").textContent = local(c.respond_by);
      box.querySelector("[data-status]").textContent = M["status." + c.status] || c.status;
      box.querySelector("[data-reply]").textContent = c.reply || M.no_reply;
      var ol = box.querySelector("[data-timeline]");
      ol.textContent = "";
      c.timeline.forEach(function (t) {
        var li = document.createElement("li");
        li.textContent = local(t.at) + " · " + (M["status." + t.status] || t.status) + (t.note ? " · " + t.note : "");
        ol.appendChild(li);
      });
      rate.hidden = !c.can_rate;
      var rated = box.querySelector("[data-rated]");
      rated.hidden = !c.rating;
      if (c.rating) rated.textContent = fmt(M.rated, { stars: "★".repeat(c.rating) });
      box.hidden = false;
    };
    var find = async function (code) {
      var err = document.getElementById("err-receipt");
      err.hidden = true;
      var n = normal(code);
      if (!n) { err.textContent = M.bad_code; err.hidden = false; return; }
      lstatus.textContent = M.looking;
      try {
        var res = await fetch(lookup.dataset.api + "/suggestions/" + encodeURIComponent(n));
        lstatus.textContent = "";
        if (res.status === 404) { lstatus.textContent = M.not_found; return; }
        if (!res.ok) { lstatus.textContent = M.failed; return; }
        show(await res.json());
        box.focus();
      } catch (e) { lstatus.textContent = M.failed; }
    };
    lookup.addEventListener("submit", function (ev) {
      ev.preventDefault();
      find(lookup.elements.receipt.value);
    });
    rate.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      var r = rate.querySelector("input[name=rating]:checked");
      var st = rate.querySelector(".portal-status");
      if (!r) { st.textContent = M.choose; return; }
      try {
        var res = await fetch(lookup.dataset.api + "/suggestions/" + current + "/feedback", {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ rating: +r.value, comment: rate.elements.comment.value.trim() })
        });
        if (res.ok) { st.textContent = M.thanks; show(await res.json()); }
        else st.textContent = M.failed;
      } catch (e) { st.textContent = M.failed; }
    });
    var q = new URLSearchParams(location.search).get("code");
    if (q) { lookup.elements.receipt.value = q; find(q); }
  }
})();
