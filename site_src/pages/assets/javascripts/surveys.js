/* Survey form: conditional questions, progress, a local draft, a retry-safe submit.
   The form itself is built at build time from the survey definition. */
(function () {
  "use strict";
  var form = document.getElementById("portal-survey");
  if (!form) return;
  var M = JSON.parse(document.getElementById("portal-messages").textContent);
  var sid = form.dataset.survey;
  var DRAFT = "portal.survey." + sid;
  var RETRIES = [2000, 4000, 8000, 15000];
  var status = form.querySelector(".portal-status");
  var summary = form.querySelector(".portal-error-summary");
  var questions = Array.prototype.slice.call(form.querySelectorAll("[data-question]"));
  var sending = false;

  function fmt(s, v) { return s.replace(/\{(\w+)\}/g, function (_, k) { return v[k]; }); }
  function save(v) { try { localStorage.setItem(DRAFT, JSON.stringify(v)); } catch (e) { /* private mode */ } }
  function load() { try { return JSON.parse(localStorage.getItem(DRAFT) || "null"); } catch (e) { return null; } }
  function forget() { try { localStorage.removeItem(DRAFT); } catch (e) { /* ignore */ } }
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function value(fs) {
    var kind = fs.dataset.kind, name = fs.dataset.question;
    if (kind === "text") return form.elements[name].value.trim();
    var checked = fs.querySelectorAll("input:checked");
    if (kind === "multiple") return Array.prototype.map.call(checked, function (i) { return i.value; });
    if (!checked.length) return null;
    return kind === "single" ? checked[0].value : parseInt(checked[0].value, 10);
  }
  function answers() {
    var out = {};
    questions.forEach(function (fs) {
      if (fs.hidden) return;
      var v = value(fs);
      if (v !== null && v !== "" && !(Array.isArray(v) && !v.length)) out[fs.dataset.question] = v;
    });
    return out;
  }
  function refresh() {
    var a = answers();
    questions.forEach(function (fs) {
      var on = fs.dataset.showIf;
      if (!on) return;
      var want = fs.dataset.showValues.split("|"), got = a[on];
      var vals = Array.isArray(got) ? got.map(String) : got === undefined ? [] : [String(got)];
      var show = vals.some(function (v) { return want.indexOf(v) >= 0; });
      fs.hidden = !show;
      if (!show) fs.querySelectorAll("input").forEach(function (i) { i.checked = false; });
    });
    var visible = questions.filter(function (fs) { return !fs.hidden; });
    var done = visible.filter(function (fs) { return answers()[fs.dataset.question] !== undefined; }).length;
    var bar = document.getElementById("f-progress");
    bar.max = visible.length;
    bar.value = done;
    form.querySelector("[data-progress-text]").textContent = fmt(M.answered, { n: done, total: visible.length });
  }
  // The key names one set of answers: edits after a send get a new key.
  function store() {
    var d = load() || {}, a = answers(), key = d.key || newKey();
    if (d.sent && d.sent !== JSON.stringify(a)) key = newKey();
    save({ key: key, answers: a, code: form.elements.code ? form.elements.code.value : "",
           pending: d.pending || false, sent: key === d.key ? d.sent : null });
  }
  function restore(d) {
    Object.keys(d.answers || {}).forEach(function (qid) {
      var v = d.answers[qid], fs = form.querySelector("[data-question='" + qid + "']");
      if (!fs) return;
      if (fs.dataset.kind === "text") { form.elements[qid].value = v; return; }
      (Array.isArray(v) ? v : [v]).forEach(function (x) {
        var input = fs.querySelector("input[value='" + String(x).replace(/'/g, "\\'") + "']");
        if (input) input.checked = true;
      });
    });
    if (form.elements.code && d.code) form.elements.code.value = d.code;
  }
  function mark(field, message) {
    var el = document.getElementById("err-" + field);
    if (el) { el.textContent = message; el.hidden = false; }
    var fs = el && el.closest("fieldset");
    if (fs) fs.setAttribute("aria-invalid", "true");
    if (field === "code") form.elements.code.setAttribute("aria-invalid", "true");
  }
  function clear() {
    form.querySelectorAll(".portal-field-error").forEach(function (e) { e.hidden = true; e.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (e) { e.removeAttribute("aria-invalid"); });
    summary.hidden = true;
  }
  function thanks() {
    forget();
    form.hidden = true;
    var box = document.getElementById("portal-thanks");
    box.hidden = false;
    box.focus();
  }

  async function send() {
    if (sending) return;
    var d = load();
    if (!d) return;
    sending = true;
    d.pending = true;
    d.sent = JSON.stringify(d.answers);
    save(d);
    status.textContent = M.sending;
    var body = { answers: d.answers };
    if (form.dataset.access === "codes") body.code = d.code;
    body.website = form.elements.website.value;
    for (var attempt = 0; ; attempt++) {
      var res = null;
      try {
        res = await fetch(form.dataset.api + "/surveys/" + sid + "/responses", {
          method: "POST", headers: { "Content-Type": "application/json", "Idempotency-Key": d.key },
          body: JSON.stringify(body)
        });
      } catch (e) { res = null; }
      if (res && (res.status === 200 || res.status === 201)) { sending = false; thanks(); return; }
      if (res && res.status === 422) {  // key already used for other answers: a new key
        d.key = newKey();
        save(d);
        continue;
      }
      if (res && res.status < 500) {
        sending = false;
        d.pending = false;
        save(d);
        var err = {};
        try { err = await res.json(); } catch (e) { /* not JSON */ }
        status.textContent = "";
        if (err.code === "code_used" || err.code === "unknown_code") mark("code", M[err.code]);
        else if (err.field) mark(err.field, M.required);
        else status.textContent = M[err.code] || M.failed;
        summary.textContent = M.fix;
        summary.hidden = !err.field;
        return;
      }
      if (attempt >= RETRIES.length) { sending = false; status.textContent = M.offline; return; }
      status.textContent = fmt(M.retrying, { n: attempt + 1 });
      await sleep(RETRIES[attempt]);
    }
  }

  form.addEventListener("change", function () { refresh(); store(); });
  form.addEventListener("input", store);
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    clear();
    refresh();
    store();
    var a = answers(), missing = [];
    questions.forEach(function (fs) {
      if (!fs.hidden && fs.hasAttribute("data-required") && a[fs.dataset.question] === undefined) {
        missing.push(fs.dataset.question);
      }
    });
    if (form.dataset.access === "codes" && !/^[2-9A-HJKMNP-Z]{4}-?[2-9A-HJKMNP-Z]{4}$/i.test(form.elements.code.value.trim())) {
      mark("code", M.bad_code);
      missing.push("code");
    }
    missing.forEach(function (q) { if (q !== "code") mark("answers." + q, M.required); });
    if (missing.length) {
      summary.textContent = M.fix;
      summary.hidden = false;
      var first = form.querySelector("[aria-invalid]");
      if (first) first.scrollIntoView({ block: "center" });
      return;
    }
    send();
  });
  window.addEventListener("online", function () { var d = load(); if (d && d.pending) send(); });

  var code = new URLSearchParams(location.search).get("code");
  var draft = load();
  if (draft) { restore(draft); status.textContent = M.draft_restored; }
  if (code && form.elements.code) form.elements.code.value = code;
  refresh();
  if (code || draft) store();
  if (draft && draft.pending && navigator.onLine !== false) send();
})();
