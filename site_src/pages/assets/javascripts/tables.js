// Wide tables on a phone: Material wraps each table in a scrolling box; where the table is
// wider than the screen, that box becomes a labelled region a keyboard can reach (Tab,
// then the arrow keys), named by the table's caption or the heading above it.
(function () {
  "use strict";
  function label(wrap) {
    var caption = wrap.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    var el = wrap.closest(".md-typeset__table") || wrap;
    while ((el = el.previousElementSibling)) {
      if (/^H[1-6]$/.test(el.tagName)) return el.textContent.trim();
    }
    return document.title;
  }
  function mark() {
    document.querySelectorAll(".md-typeset__scrollwrap, .portal-table-scroll").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        if (!wrap.hasAttribute("aria-labelledby")) wrap.setAttribute("aria-label", label(wrap));
      } else if (wrap.classList.contains("md-typeset__scrollwrap")) {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }
  var timer = null;
  function soon() { clearTimeout(timer); timer = setTimeout(mark, 150); }
  if (typeof window.document$ !== "undefined") window.document$.subscribe(function () { setTimeout(mark, 0); });
  else document.addEventListener("DOMContentLoaded", mark);
  window.addEventListener("load", mark);
  window.addEventListener("resize", soon);
})();
