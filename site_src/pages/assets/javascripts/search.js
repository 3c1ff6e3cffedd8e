/* The header search box on Pagefind's JS API (pagefind/pagefind.js), in Material's look.
 *
 * Pagefind is loaded on the first focus or keystroke, not with the page. Whatever is typed
 * before it is ready is kept: each keystroke asks for the latest text, and once Pagefind
 * is ready the latest text (only) is searched. Current pages are listed before expired
 * notices (the notice pages carry the Pagefind filter status:expired).
 * Strings come from the portal's locales (partials/search.html puts them in the page).
 */
(() => {
  "use strict";
  const root = document.querySelector("[data-portal-search]");
  if (!root) return;
  const input = root.querySelector(".md-search__input");
  const form = root.querySelector("form");
  const status = root.querySelector("[data-portal-search-status]");
  const list = root.querySelector(".md-search-result__list");
  const select = root.querySelector("[data-portal-search-section]");
  const toggle = document.getElementById("__search");
  const strings = JSON.parse(document.getElementById("portal-search-strings").textContent);
  const config = JSON.parse(document.getElementById("__config").textContent);
  const site = new URL(config.base.replace(/\/?$/, "/"), location.href); // the site's root
  const PAGE = 10;

  const say = (key, values = {}) =>
    strings[key].replace(/\{(\w+)\}/g, (_, name) => String(values[name]));

  root.querySelector(".portal-search__filter").hidden = false;
  status.hidden = false;
  status.textContent = strings.empty;

  let loading = null;
  let ready = false;
  let failures = 0;
  function load() {
    if (!loading) {
      loading = import(new URL("pagefind/pagefind.js", site).href).then(async (pagefind) => {
        await pagefind.options({ baseUrl: site.pathname, excerptLength: 24 });
        await pagefind.init();
        ready = true;
        return pagefind;
      });
      loading.catch(() => {
        // A failed load (a dropped connection on a phone) is tried again, and the text
        // typed meanwhile is still answered when it works.
        loading = null;
        status.textContent = strings.failed;
        if (++failures <= 5) setTimeout(() => { if (input.value.trim()) run(); }, 1000 * failures);
      });
    }
    return loading;
  }

  function open() {
    if (toggle && !toggle.checked) {
      toggle.checked = true;
      toggle.dispatchEvent(new Event("change"));
    }
  }

  function close() {
    if (toggle && toggle.checked) {
      toggle.checked = false;
      toggle.dispatchEvent(new Event("change"));
    }
    input.blur();
  }

  function sectionOf(url) {
    const path = new URL(url, location.href).pathname;
    const rest = path.startsWith(site.pathname) ? path.slice(site.pathname.length) : path;
    return rest.split("/")[0];
  }

  function item(data, expired) {
    const li = document.createElement("li");
    li.className = "md-search-result__item" + (expired ? " portal-search__item--expired" : "");
    const a = document.createElement("a");
    a.className = "md-search-result__link";
    a.href = data.url;
    const article = document.createElement("article");
    article.className = "md-search-result__article md-typeset";
    const title = document.createElement("h2");
    title.className = "portal-search__title";
    title.textContent = data.meta.title || data.url;
    const where = document.createElement("p");
    where.className = "portal-search__where";
    const section = strings["section." + sectionOf(data.url)];
    const facts = [section, data.meta.date].filter(Boolean);
    where.textContent = facts.join(" · ");
    if (expired) {
      const badge = document.createElement("span");
      badge.className = "portal-badge portal-badge--expired";
      badge.textContent = strings.expired;
      where.append(facts.length ? " " : "", badge);
    }
    const teaser = document.createElement("p");
    teaser.className = "md-search-result__teaser";
    teaser.innerHTML = data.excerpt; // Pagefind escapes the page text and adds only <mark>
    article.append(title, where, teaser);
    a.append(article);
    li.append(a);
    return li;
  }

  let latest = 0; // the newest query wins; answers to older ones are dropped
  let hits = [];
  let shown = 0;

  async function show(upto, id) {
    const batch = hits.slice(shown, upto);
    const datas = await Promise.all(batch.map(([result]) => result.data()));
    if (id !== latest) return;
    list.querySelector(".portal-search__more")?.remove();
    datas.forEach((data, i) => list.append(item(data, batch[i][1])));
    shown = upto;
    if (shown < hits.length) {
      const li = document.createElement("li");
      li.className = "md-search-result__item portal-search__more";
      const more = document.createElement("button");
      more.type = "button";
      more.className = "md-button";
      more.textContent = strings.more;
      more.addEventListener("click", () => {
        const first = shown;
        show(Math.min(shown + PAGE, hits.length), id).then(() => {
          list.querySelectorAll(".md-search-result__link")[first]?.focus();
        });
      });
      li.append(more);
      list.append(li);
    }
  }

  async function run() {
    const id = ++latest;
    const query = input.value.trim();
    if (!query) {
      hits = [];
      list.replaceChildren();
      status.textContent = strings.empty;
      return;
    }
    if (!ready) status.textContent = strings.loading;
    let pagefind;
    try {
      pagefind = await load();
    } catch {
      return;
    }
    if (id !== latest) return;
    const within = select.value ? { section: select.value } : {};
    const [current, expired] = await Promise.all([
      pagefind.search(query, { filters: { ...within, not: { status: "expired" } } }),
      pagefind.search(query, { filters: { ...within, status: "expired" } }),
    ]);
    if (id !== latest || !current || !expired) return;
    hits = [
      ...current.results.map((r) => [r, false]),
      ...expired.results.map((r) => [r, true]),
    ];
    shown = 0;
    list.replaceChildren();
    await show(Math.min(PAGE, hits.length), id);
    if (id !== latest) return;
    status.textContent = hits.length ? say("count", { n: hits.length }) : say("none", { query });
  }

  const links = () => [...list.querySelectorAll(".md-search-result__link")];

  input.addEventListener("focus", () => {
    load();
    open();
  });
  input.addEventListener("input", () => {
    open();
    run();
  });
  select.addEventListener("change", run);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const first = links()[0];
    if (first) first.click();
  });
  form.addEventListener("reset", () => {
    setTimeout(() => {
      run();
      input.focus();
    });
  });
  toggle?.addEventListener("change", () => {
    if (toggle.checked && document.activeElement !== input) {
      load();
      input.focus();
      // If the box was still hidden by Material's opening transition, try once more.
      if (document.activeElement !== input) setTimeout(() => input.focus(), 250);
    }
  });
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const all = links();
    const at = all.indexOf(document.activeElement);
    if (document.activeElement === input) {
      if (event.key === "ArrowDown" && all.length) {
        event.preventDefault();
        all[0].focus();
      }
      return;
    }
    if (at < 0) return;
    event.preventDefault();
    const next = event.key === "ArrowDown" ? at + 1 : at - 1;
    if (next < 0) input.focus();
    else all[Math.min(next, all.length - 1)].focus();
  });

  // Typed before this script ran (a slow phone): answer it now.
  if (document.activeElement === input || input.value) {
    load();
    open();
    if (input.value) run();
  }
})();
