// The content editor's word on publishing: every minute it reads status.json, which each
// publish run writes beside this page (scripts/publishing.py), and when the last run failed
// it shows a banner that screen readers announce (role=alert), with the build's own lines.
// A run that succeeded removes it. No file yet (a new stage, the local preview): nothing.
// Plain JavaScript; the page's CSP allows scripts from the portal and connections to itself.
(function () {
  "use strict";
  var EVERY = 60 * 1000;
  var ID = "portal-publish-status";
  var shown = "";      // the failure on screen (its JSON), so an unchanged one is not re-announced
  var dismissed = "";  // the failure the clerk closed: shown again only if another one comes

  function el(tag, text) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    return e;
  }

  function when(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    return d.toLocaleString("zh-CN", {timeZone: "Asia/Shanghai", hour12: false});
  }

  function banner(status) {
    var box = el("div");
    box.id = ID;
    box.setAttribute("role", "alert");
    var s = box.style;
    s.position = "fixed"; s.left = "0"; s.right = "0"; s.bottom = "0"; s.zIndex = "2147483647";
    s.maxHeight = "40vh"; s.overflow = "auto"; s.boxSizing = "border-box";
    s.padding = "12px 16px"; s.background = "#b71c1c"; s.color = "#fff";
    s.font = "15px/1.5 system-ui, sans-serif"; s.boxShadow = "0 -2px 8px rgba(0,0,0,.3)";
    var title = el("strong", "构建失败，网站仍是上次成功发布的版本");
    title.style.display = "block";
    box.appendChild(title);
    var about = [];
    if (status.time) about.push(when(status.time));
    if (status.commit) about.push("提交 " + String(status.commit).slice(0, 7));
    if (about.length) box.appendChild(el("div", about.join(" · ")));
    var lines = Array.isArray(status.problems) ? status.problems : [];
    if (lines.length) {
      var list = el("ul");
      list.style.margin = "6px 0 0"; list.style.paddingLeft = "1.2em";
      list.style.fontFamily = "ui-monospace, monospace"; list.style.fontSize = "13px";
      lines.forEach(function (line) { list.appendChild(el("li", String(line))); });
      box.appendChild(list);
    }
    var close = el("button", "知道了");
    close.type = "button";
    close.style.marginTop = "8px";
    close.addEventListener("click", function () {
      dismissed = shown;
      box.remove();
    });
    box.appendChild(close);
    return box;
  }

  function show(status) {
    var failed = !!status && status.ok === false;
    var key = failed ? JSON.stringify(status) : "";
    if (key === shown) return;
    shown = key;
    var old = document.getElementById(ID);
    if (old) old.remove();
    if (failed && key !== dismissed) document.body.appendChild(banner(status));
  }

  function check() {
    fetch("status.json", {cache: "no-store", credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (status) { if (status) show(status); })
      .catch(function () { /* offline, or not JSON: keep what is on screen */ });
  }

  check();
  setInterval(check, EVERY);
})();
