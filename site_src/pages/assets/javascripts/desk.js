// The case desk (工单台): sign-in with OpenID Connect (authorization code + PKCE) at the
// issuer's page, then the staff API. Plain JavaScript, no framework; the page's CSP allows
// scripts and styles from the portal only, and connections to the API and the issuer.
(function () {
  "use strict";
  var C = JSON.parse(document.body.getAttribute("data-config"));
  var T = C.t;
  var view = document.getElementById("desk-view");
  var status = document.getElementById("desk-status");
  var me = null;
  var shown = 0;  // which view is on screen: an answer for an earlier one is dropped
  var here = location.origin + location.pathname;

  function t(key, values) {
    var s = T[key] || key;
    Object.keys(values || {}).forEach(function (k) { s = s.split("{" + k + "}").join(values[k]); });
    return s;
  }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== null && attrs[k] !== false) e.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function say(text, bad) {
    status.textContent = text || "";
    status.className = "desk-status" + (bad ? " is-error" : "");
  }
  function show(title, nodes) {
    shown += 1;
    view.textContent = "";
    var h = el("h1", { text: title, tabindex: "-1" });
    view.appendChild(h);
    nodes.forEach(function (n) { if (n) view.appendChild(n); });
    document.title = title + " · " + t("title");
    h.focus();
  }
  function local(iso) {  // '2026-11-23T02:00:00Z' → '2026-11-23 10:00' (Beijing time)
    if (!iso) return "";
    var d = new Date(Date.parse(iso) + 8 * 3600 * 1000);
    return d.toISOString().slice(0, 16).replace("T", " ");
  }

  // --- sign-in: authorization code with PKCE ------------------------------------------
  function b64url(bytes) {
    var s = ""; bytes.forEach(function (b) { s += String.fromCharCode(b); });
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function random() { var a = new Uint8Array(32); crypto.getRandomValues(a); return b64url(a); }
  function signIn() {
    var verifier = random(), state = random();
    sessionStorage.setItem("desk.pkce", JSON.stringify({ verifier: verifier, state: state, back: location.hash }));
    crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)).then(function (hash) {
      var q = new URLSearchParams({ response_type: "code", client_id: C.client, redirect_uri: here,
        scope: "openid", state: state, code_challenge: b64url(new Uint8Array(hash)),
        code_challenge_method: "S256" });
      location.assign(C.issuer + "/oauth2/authorize?" + q.toString());
    });
  }
  function finishSignIn(params) {
    var saved = JSON.parse(sessionStorage.getItem("desk.pkce") || "null");
    sessionStorage.removeItem("desk.pkce");
    history.replaceState(null, "", here + (saved && saved.back ? saved.back : ""));
    if (!saved || params.get("state") !== saved.state) { say(t("sign_in_failed"), true); return Promise.resolve(false); }
    var body = new URLSearchParams({ grant_type: "authorization_code", code: params.get("code"),
      client_id: C.client, redirect_uri: here, code_verifier: saved.verifier });
    return fetch(C.issuer + "/oauth2/token", { method: "POST", body: body,
      headers: { "Content-Type": "application/x-www-form-urlencoded" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (tok) {
        if (!tok || !tok.access_token) { say(t("sign_in_failed"), true); return false; }
        sessionStorage.setItem("desk.token", tok.access_token);
        return true;
      });
  }
  function forget() {
    sessionStorage.removeItem("desk.token");
    me = null;
    document.getElementById("desk-nav").hidden = true;
    document.getElementById("desk-who").textContent = "";
  }
  // 退出 ends the issuer's own session too (its hosted page keeps a cookie): else, on a
  // shared counter PC, the next person pressing 登录 is signed in as the previous clerk.
  // Cognito's /logout ends it and sends the browser back to the registered logout address.
  function signOut() {
    forget();
    if (!C.issuer || !C.client) { showSignIn(); return; }
    location.assign(C.issuer + "/logout?" +
      new URLSearchParams({ client_id: C.client, logout_uri: here }).toString());
  }
  function showSignIn(message) {
    say(message || "", !!message);
    show(t("title"), [el("p", { text: t("sign_in_intro") }),
      el("button", { type: "button", "class": "desk-button", onclick: signIn, text: t("sign_in") })]);
  }

  // --- the staff API ------------------------------------------------------------------
  function api(method, path, body, key) {
    var headers = { "Authorization": "Bearer " + sessionStorage.getItem("desk.token") };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (key) headers["Idempotency-Key"] = key;
    return fetch(C.api + path, { method: method, headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (r.status === 401) { forget(); showSignIn(t("session_over")); throw new Error("signed out"); }
          return { status: r.status, data: data };
        });
      }, function () { say(t("offline"), true); throw new Error("offline"); });
  }

  // --- the queue, with filters kept in the address (they survive every action) ---------
  function filters() {
    var q = location.hash.split("?")[1] || "";
    return new URLSearchParams(q);
  }
  function select(name, label, options, chosen) {
    var s = el("select", { name: name, id: "f-" + name });
    s.appendChild(el("option", { value: "", text: t("filter.any") }));
    Object.keys(options).forEach(function (k) {
      s.appendChild(el("option", { value: k, text: options[k], selected: String(chosen) === k }));
    });
    return el("label", { "for": "f-" + name }, [label, s]);
  }
  function departmentNames() {
    var out = {};
    Object.keys(C.departments).forEach(function (k) { out[C.departments[k]] = C.departments[k]; });
    return out;
  }
  function showQueue() {
    var f = filters();
    var form = el("form", { "class": "desk-filters", "aria-label": t("filters"), onsubmit: function (e) {
      e.preventDefault();
      var q = new URLSearchParams();
      new FormData(form).forEach(function (v, k) { if (v) q.set(k, v); });
      location.hash = "#queue" + (q.toString() ? "?" + q.toString() : "");
    } }, [
      select("status", t("filter.status"), C.statuses, f.get("status") || ""),
      select("kind", t("filter.kind"), C.kinds, f.get("kind") || ""),
      select("grade", t("filter.grade"), C.grades, f.get("grade") || ""),
      select("department", t("filter.department"), departmentNames(), f.get("department") || ""),
      el("label", { "for": "f-month" }, [t("filter.month"), el("input", { id: "f-month", name: "month", type: "month", value: f.get("month") || "" })]),
      el("label", { "class": "desk-check", "for": "f-overdue" }, [el("input", { id: "f-overdue", name: "overdue", type: "checkbox", value: "1", checked: f.get("overdue") === "1" }), t("filter.overdue")]),
      el("button", { type: "submit", "class": "desk-button", text: t("apply") })]);
    show(t("queue"), [form, el("p", { text: t("loading") })]);
    var mine = shown;
    api("GET", "/staff/cases?" + f.toString()).then(function (r) {
      if (mine !== shown) return;
      var cases = r.data.cases || [];
      view.removeChild(view.lastChild);
      view.appendChild(el("p", { text: t("count", { n: cases.length }), id: "desk-count" }));
      if (!cases.length) { view.appendChild(el("p", { text: t("none") })); return; }
      var list = el("ol", { "class": "desk-list", "aria-labelledby": "desk-count" });
      cases.forEach(function (c) {
        list.appendChild(el("li", { "class": c.overdue ? "is-overdue" : "", "data-receipt": c.receipt }, [
          el("p", {}, [c.overdue ? el("span", { "class": "desk-flag", text: t("overdue") }) : null,
            el("a", { href: "#case/" + c.receipt + (f.toString() ? "?" + f.toString() : ""), text: c.receipt + " · " + c.subject })]),
          el("p", { "class": "desk-meta", text: [C.kinds[c.kind], C.statuses[c.status],
            c.grade ? C.grades[c.grade] : "", c.department || "",
            t("due") + " " + local(c.respond_by)].filter(Boolean).join(" · ") })]));
      });
      view.appendChild(list);
    });
  }

  // --- one case, every action on it ----------------------------------------------------
  function may(role) { return me && me.roles.indexOf(role) >= 0; }
  var cannedCache = null;  // the canned replies, fetched once (again after a manager edits them)
  function cannedReplies() {
    if (!cannedCache) cannedCache = api("GET", "/staff/replies").then(function (r) { return r.data.replies || []; },
      function () { cannedCache = null; return []; });
    return cannedCache;
  }
  function showCase(receipt) {
    var back = el("p", {}, [el("a", { href: "#queue" + (location.hash.split("?")[1] ? "?" + location.hash.split("?")[1] : ""), text: t("back") })]);
    show(t("case", { receipt: receipt }), [back, el("p", { text: t("loading") })]);
    var mine = shown;
    api("GET", "/staff/cases/" + encodeURIComponent(receipt)).then(function (r) {
      if (mine !== shown) return;
      if (r.status !== 200) { say(t("error", { message: r.data.message || r.status }), true); return; }
      renderCase(r.data, back);
    });
  }
  function act(c, action, data, done) {
    data.version = c.version;
    say("");
    return api("POST", "/staff/cases/" + encodeURIComponent(c.receipt) + "/" + action, data).then(function (r) {
      if (r.status === 200) { say(t("saved")); renderCase(r.data, null, done); return; }
      if (r.status === 409 && r.data.code === "changed") {
        say(t("changed"), true);
        status.appendChild(el("button", { type: "button", "class": "desk-button desk-button--quiet", text: t("reload"),
          onclick: function () { say(""); showCase(c.receipt); } }));
        return;
      }
      say(t("error", { message: r.data.message || r.status }), true);
    });
  }
  function field(label, input) { return el("label", { "for": input.id }, [label, input]); }
  function options(id, values, chosen, any) {
    var s = el("select", { id: id, name: id });
    if (any) s.appendChild(el("option", { value: "", text: any }));
    Object.keys(values).forEach(function (k) { s.appendChild(el("option", { value: k, text: values[k], selected: String(chosen) === String(k) })); });
    return s;
  }
  function panel(title, id, nodes, submit, onsubmit) {
    var form = el("form", { "class": "desk-form", "aria-labelledby": id, onsubmit: function (e) { e.preventDefault(); onsubmit(form); } },
      [el("h2", { id: id, text: title })].concat(nodes).concat([el("button", { type: "submit", "class": "desk-button", text: submit })]));
    return form;
  }
  function renderCase(c, back, focusId) {
    back = back || view.querySelector("p");
    var contact = c.contact || {};
    var details = el("dl", {}, []);
    [[t("receipt"), c.receipt], [t("kind"), C.kinds[c.kind]], [t("category"), C.categories[c.category]],
     [t("col.status"), C.statuses[c.status]], [t("received_at"), local(c.created_at)],
     [t("due"), local(c.respond_by) + (c.overdue ? " · " + t("overdue") : "")],
     [t("channel"), (C.channel_names[c.channel] || c.channel || "")], [t("grade"), c.grade ? C.grades[c.grade] : ""],
     [t("department"), c.department || ""], [t("assignee"), c.assignee || ""],
     [t("building"), c.building || ""], [t("subject"), c.subject], [t("body"), c.body]]
      .forEach(function (p) { details.appendChild(el("dt", { text: p[0] })); details.appendChild(el("dd", { text: p[1] || "—" })); });
    var contactList = el("dl", {}, []);
    Object.keys(contact).forEach(function (k) {
      contactList.appendChild(el("dt", { text: t(k === "unit" ? "unit" : k) }));
      contactList.appendChild(el("dd", { text: contact[k] }));
    });
    var panels = el("div", { "class": "desk-panels" }, []);
    if (may("clerk")) {
      panels.appendChild(panel(t("grade"), "p-grade", [field(t("grade"), options("grade", C.grades, c.grade || 1))], t("save"),
        function (f) { act(c, "grade", { grade: Number(f.grade.value) }, "p-grade"); }));
      panels.appendChild(panel(t("assign"), "p-assign", [
        field(t("department"), options("department", departmentNames(), c.department || "", "—")),
        field(t("assignee"), el("input", { id: "assignee", name: "assignee", value: c.assignee || "", autocomplete: "off" }))],
        t("save"), function (f) { act(c, "assign", { department: f.department.value, assignee: f.assignee.value }, "p-assign"); }));
    }
    if ((may("clerk") || may("department")) && c.status !== "closed") {
      var canned = el("select", { id: "canned", "aria-label": t("canned") }, [el("option", { value: "", text: t("canned") })]);
      var reply = el("textarea", { id: "reply", name: "reply", required: true, maxlength: "2000" });
      canned.addEventListener("change", function () { if (canned.value) { reply.value = canned.value; reply.focus(); } });
      cannedReplies().then(function (replies) {
        replies.forEach(function (x) { canned.appendChild(el("option", { value: x.text, text: x.title })); });
      });
      panels.appendChild(panel(t("reply"), "p-reply", [el("p", { "class": "desk-meta", text: t("forbidden_hint") }), canned,
        field(t("reply"), reply),
        field(t("reply_status"), options("reply_status", { in_progress: C.statuses.in_progress, resolved: C.statuses.resolved }, "in_progress"))],
        t("send"), function (f) { act(c, "reply", { text: f.reply.value, status: f.reply_status.value }, "p-reply"); }));
    }
    panels.appendChild(panel(t("note"), "p-note", [field(t("note"), el("textarea", { id: "note", name: "note", required: true, maxlength: "2000" }))],
      t("save"), function (f) { act(c, "note", { text: f.note.value }, "p-note"); }));
    if (may("clerk") && c.status === "resolved") {
      var results = el("fieldset", {}, [el("legend", { text: t("followup") })]);
      Object.keys(C.results).forEach(function (k, i) {
        results.appendChild(el("label", { "class": "desk-check", "for": "r-" + k }, [
          el("input", { type: "radio", name: "result", id: "r-" + k, value: k, checked: i === 0 }), C.results[k]]));
      });
      panels.appendChild(panel(t("followup"), "p-followup", [results,
        field(t("followup_note"), el("textarea", { id: "followup_note", name: "followup_note", maxlength: "500" })),
        field(t("retry_at"), el("input", { id: "retry_at", name: "retry_at", type: "datetime-local" }))],
        t("save"), function (f) { act(c, "followup", { result: f.result.value, note: f.followup_note.value, retry_at: f.retry_at.value }, "p-followup"); }));
    }
    if (may("clerk") && c.status === "resolved") {
      panels.appendChild(panel(t("close"), "p-close", [el("p", { text: t("close_hint") })], t("close"),
        function () { act(c, "close", {}, "p-close"); }));
    }
    var timeline = el("ol", { "class": "desk-timeline" }, []);
    (c.timeline || []).forEach(function (e) {
      timeline.appendChild(el("li", { "class": e.public === false ? "is-internal" : "" }, [
        el("span", { text: local(e.at) + " · " + (C.statuses[e.status] || e.status) + (e.by ? " · " + t("by") + " " + e.by : "") + (e.public === false ? " · " + t("internal") : "") }),
        e.note ? el("p", { text: e.note }) : null, e.internal ? el("p", { text: e.internal }) : null]));
    });
    show(t("case", { receipt: c.receipt }), [back, el("section", { "class": "desk-case", "aria-labelledby": "h-details" }, [
      el("h2", { id: "h-details", text: t("details") }), details,
      el("h2", { text: t("contact") }), Object.keys(contact).length ? contactList : el("p", { text: t("no_contact") })]),
      panels, el("h2", { text: t("timeline") }), timeline]);
    if (focusId) { var h = document.getElementById(focusId); if (h) { h.setAttribute("tabindex", "-1"); h.focus(); } }
  }

  // --- entering a case for an owner (phone, counter) ------------------------------------
  function showNew() {
    var form = el("form", { "class": "desk-form", "aria-labelledby": "new-h" }, [
      el("h2", { id: "new-h", text: t("new_title") }),
      field(t("new_channel"), options("channel", C.channels, "phone")),
      field(t("kind"), options("kind", C.kinds, "complaint")),
      field(t("category"), options("category", C.categories, "repairs")),
      field(t("subject"), el("input", { id: "subject", name: "subject", required: true, maxlength: "60" })),
      field(t("body"), el("textarea", { id: "body", name: "body", required: true, maxlength: "2000" })),
      field(t("building"), el("input", { id: "building", name: "building", maxlength: "20" })),
      field(t("unit"), el("input", { id: "unit", name: "unit", maxlength: "20" })),
      field(t("name"), el("input", { id: "name", name: "name", maxlength: "40" })),
      field(t("phone"), el("input", { id: "phone", name: "phone", type: "tel", maxlength: "20" })),
      el("button", { type: "submit", "class": "desk-button", text: t("save") })]);
    var key = random();
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var v = function (n) { return form[n].value.trim(); };
      var contact = {};
      if (v("name")) contact.name = v("name");
      if (v("phone")) contact.phone = v("phone");
      api("POST", "/staff/cases", { channel: v("channel"), kind: v("kind"), category: v("category"),
        subject: v("subject"), body: v("body"), building: v("building"), unit: v("unit"), contact: contact }, key)
        .then(function (r) {
          if (r.status !== 201 && r.status !== 200) { say(t("error", { message: r.data.message || r.status }), true); return; }
          say("");
          show(t("new_title"), [el("p", { text: t("new_done", { receipt: r.data.receipt }) }),
            el("p", { "class": "desk-receipt", text: r.data.receipt }),
            el("p", {}, [el("a", { href: "#case/" + r.data.receipt, text: t("case", { receipt: r.data.receipt }) })])]);
        });
    });
    show(t("new"), [form]);
  }

  // --- the manager's figures and canned replies ------------------------------------------
  function pct(x) { return x === null || x === undefined ? "—" : x.toFixed(1) + "%"; }
  function showFigures() {
    show(t("figures"), [el("p", { text: t("loading") })]);
    var mine = shown;
    api("GET", "/staff/figures").then(function (r) {
      if (mine !== shown) return;
      var s = r.data.summary, list = el("ul", { "class": "desk-figures" }, []);
      [["received", String(s.received)], ["on_time", pct(s.responded_on_time_pct)], ["followup", pct(s.followup_rate_pct)],
       ["reopened", pct(s.reopened_pct)], ["followup_satisfied", pct(s.followup_satisfied_pct)], ["satisfied", pct(s.satisfied_pct)]]
        .forEach(function (p) { list.appendChild(el("li", {}, [el("strong", { text: p[1] }), t("fig." + p[0])])); });
      var table = el("table", {}, [el("caption", { text: t("fig.person") }), el("thead", {}, [el("tr", {},
        ["person", "cases", "replied", "on_time", "followed"].map(function (k) { return el("th", { scope: "col", text: t("fig." + k) }); }))])]);
      var tbody = el("tbody", {}, []);
      (r.data.people || []).forEach(function (p) {
        tbody.appendChild(el("tr", {}, [el("th", { scope: "row", text: p.person }), el("td", { text: String(p.cases || 0) }),
          el("td", { text: String(p.replied || 0) }), el("td", { text: String(p.on_time || 0) }), el("td", { text: String(p.followed_up || 0) })]));
      });
      table.appendChild(tbody);
      show(t("figures_title", { month: s.month }), [list, el("div", { "class": "desk-table-wrap", role: "region", tabindex: "0", "aria-label": t("fig.person") }, [table])]);
    });
  }
  function showReplies() {
    show(t("replies_title"), [el("p", { text: t("loading") })]);
    var mine = shown;
    api("GET", "/staff/replies").then(function (r) {
      if (mine !== shown) return;
      var nodes = [el("p", { text: t("forbidden_hint") })];
      (r.data.replies || []).concat([{ id: "", title: "", text: "" }]).forEach(function (x, i) {
        var id = el("input", { id: "rid" + i, value: x.id, required: true, pattern: "[a-z0-9][a-z0-9-]{0,39}", readonly: !!x.id });
        var title = el("input", { id: "rtitle" + i, value: x.title, required: true, maxlength: "40" });
        var text = el("textarea", { id: "rtext" + i, required: true, maxlength: "2000" }); text.value = x.text;
        var form = panel(x.title || t("replies_title"), "rh" + i, [field(t("reply_id"), id), field(t("reply_title"), title), field(t("reply_text"), text)],
          t("save"), function () {
            api("PUT", "/staff/replies/" + encodeURIComponent(id.value), { title: title.value, text: text.value }).then(function (res) {
              if (res.status === 200) { cannedCache = null; say(t("saved")); showReplies(); } else say(t("error", { message: res.data.message || res.status }), true);
            });
          });
        if (x.id) form.appendChild(el("button", { type: "button", "class": "desk-button desk-button--quiet", text: t("delete"), onclick: function () {
          api("DELETE", "/staff/replies/" + encodeURIComponent(x.id)).then(function () { cannedCache = null; showReplies(); });
        } }));
        nodes.push(form);
      });
      show(t("replies_title"), nodes);
    });
  }

  // --- routing ----------------------------------------------------------------------
  function route() {
    if (!me) return;
    var h = location.hash.split("?")[0];
    if (h.indexOf("#case/") === 0) showCase(decodeURIComponent(h.slice(6)));
    else if (h === "#new" && may("clerk")) showNew();
    else if (h === "#figures" && may("manager")) showFigures();
    else if (h === "#replies" && may("manager")) showReplies();
    else showQueue();
  }
  function start() {
    api("GET", "/staff/me").then(function (r) {
      if (r.status !== 200) { showSignIn(r.data.message); return; }
      me = r.data;
      var nav = document.getElementById("desk-nav");
      nav.hidden = false;
      nav.querySelectorAll("[data-role]").forEach(function (a) { a.hidden = !may(a.getAttribute("data-role")); });
      document.getElementById("desk-who").textContent = t("signed_in_as", { user: me.username,
        roles: me.roles.map(function (x) { return t("role." + x); }).join("、") + (me.department ? " " + me.department : "") });
      route();
    }).catch(function () {});
  }
  document.getElementById("desk-signout").addEventListener("click", signOut);
  window.addEventListener("hashchange", function () { say(""); route(); });
  var params = new URLSearchParams(location.search);
  var pending = params.get("code") ? finishSignIn(params) : Promise.resolve(true);
  pending.then(function () {
    if (sessionStorage.getItem("desk.token")) start(); else showSignIn(status.textContent);
  });
})();
