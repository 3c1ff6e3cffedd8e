// The content editor's file format (Decap CMS custom format): files staff did not change
// stay byte for byte as they were; a changed field changes only its own line(s).
//
// Decap's own formats re-write the whole front matter on every save (flow lists become
// block lists, comments and quotes go, keys follow the form's order). Here the original
// text of a file travels with the entry (`__source`); on save, the new values are compared
// with the original ones, and only what differs is edited in the original text: a scalar
// in place (its comment kept), a key the form cleared is removed with its line, a new key
// gets a line of its own, a list whose length changed is written again in its own style.
// New files are written the way `portal-notice` writes them (flow lists of names, plain
// scalars where YAML 1.1 — the build's PyYAML — reads them back as the same text).
//
// Plain ES module, no DOM: the browser imports it from editor.js, and the tests run it in
// Node against every example file.

export const SOURCE = "__source";

export function makeFormat(YAML, spec) {
  // spec: {markdown: bool, drop: [keys never written], defaults: {dotted.path: value},
  //        numbers: [dotted paths written as numbers]}
  const drop = new Set(spec.drop || []);
  const defaults = spec.defaults || {};
  const numbers = new Set(spec.numbers || []);
  const parseOptions = { schema: "core", prettyErrors: false };

  function split(text) {
    if (!spec.markdown) return { head: "", yaml: text, sep: "", body: undefined };
    const m = /^---\r?\n/.exec(text);
    if (!m) return { head: "", yaml: "", sep: "", body: text };
    const rest = text.slice(m[0].length);
    const close = /(^|\n)---[ \t]*(\r?\n|$)/.exec(rest);
    if (!close) return { head: m[0], yaml: rest, sep: "", body: "" };
    const yamlEnd = close.index + (close[1] ? 1 : 0);
    const sepEnd = close.index + close[0].length;
    return { head: m[0], yaml: rest.slice(0, yamlEnd), sep: rest.slice(yamlEnd, sepEnd),
             body: rest.slice(sepEnd) };
  }

  function fromFile(text) {
    const parts = split(text.replace(/^\uFEFF/, ""));
    const data = parts.yaml.trim() ? YAML.parse(parts.yaml, parseOptions) || {} : {};
    if (typeof data !== "object" || Array.isArray(data)) {
      throw new Error("expected a YAML mapping at the top of the file");
    }
    if (spec.markdown) data.body = parts.body;
    data[SOURCE] = text;
    return data;
  }

  // --- comparing: an empty value, a missing key and the field's default are the same ---

  function absent(path, v) {
    if (v === undefined || v === null || v === "") return true;
    if (Array.isArray(v) && v.length === 0) return true;
    if (v && typeof v === "object" && !Array.isArray(v)
        && Object.keys(v).every((k) => absent(`${path}.${k}`, v[k]))) return true;
    return path in defaults && same(path, defaults[path], v, true);
  }

  function empty(path, v) {
    if (v === undefined || v === null || v === "") return true;
    if (Array.isArray(v)) return v.length === 0;
    if (v && typeof v === "object") return Object.keys(v).every((k) => empty(`${path}.${k}`, v[k]));
    return false;
  }

  function same(path, a, b, raw = false) {
    if (!raw) {
      const aa = absent(path, a), bb = absent(path, b);
      if (aa || bb) return aa && bb;
    }
    if (Array.isArray(a) || Array.isArray(b)) {
      return Array.isArray(a) && Array.isArray(b) && a.length === b.length
        && a.every((x, i) => same(path, x, b[i]));
    }
    if (a && b && typeof a === "object" && typeof b === "object") {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      return [...keys].every((k) => same(`${path}.${k}`, a[k], b[k]));
    }
    if (typeof a === "number" || typeof b === "number") return Number(a) === Number(b);
    return a === b;
  }

  // --- writing new values in the portal's style ---------------------------------------

  // Plain scalars with a meaning only in YAML 1.1 that the library does not quote for it
  // (the value key '=', the merge key '<<').
  const YAML11_ONLY = /^(=|<<)$/;
  const DATE = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/;

  // A scalar as YAML 1.1 (the build's PyYAML) reads it back as the same text; inside a flow
  // list or map ([3栋, 4栋], {a: 1}) a comma or bracket would end it: quoted there too.
  function scalar(path, v, inFlow = false) {
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    const s = String(v);
    if (numbers.has(path) && /^-?\d+(\.\d+)?$/.test(s)) return s;
    if (DATE.test(s)) return s;
    if (s.includes("\n")) return null; // a block scalar: written with its key
    if (YAML11_ONLY.test(s)) return JSON.stringify(s);
    const out = YAML.stringify(s, { version: "1.1", lineWidth: 0 }).replace(/\n$/, "");
    if (inFlow && /[,[\]{}]/.test(out) && !/^["']/.test(out)) return JSON.stringify(s);
    return out;
  }

  // YAML 1.1 quotes scalars PyYAML would read as something else (yes, 9:00, 1_000); dates
  // are written plain as staff write them (the build reads them as text).
  function plainDates(text) {
    return text
      .replace(/(^|: |- |\[|, )<<(?=$|,|\]|\n)/gm, '$1"<<"')  // the library keeps it plain
      .replace(/(^|: |- |\[|, )"(\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?)"(?=$|,|\]|\n)/gm,
                        "$1$2");
  }

  function node(doc, path, v, flowHint) {
    const n = doc.createNode(clean(path, v));
    style(n, flowHint);
    return n;
  }

  function style(n, flowHint) {
    if (YAML.isSeq(n)) {
      n.flow = flowHint !== false && n.items.every((i) => YAML.isScalar(i) && !String(i.value).includes("\n"));
      n.items.forEach((i) => style(i, n.flow ? true : undefined));
    } else if (YAML.isMap(n)) {
      n.flow = flowHint === true;
      n.items.forEach((p) => style(p.value, n.flow ? true : undefined));
    } else if (YAML.isScalar(n) && typeof n.value === "string" && n.value.includes("\n")) {
      n.type = "BLOCK_LITERAL";
    } else if (YAML.isScalar(n) && typeof n.value === "string" && YAML11_ONLY.test(n.value)) {
      n.type = "QUOTE_DOUBLE";
    }
  }

  function clean(path, v) {
    if (Array.isArray(v)) return v.map((x) => clean(path, x));
    if (v && typeof v === "object") {
      const out = {};
      for (const [k, x] of Object.entries(v)) {
        if (k === SOURCE || drop.has(`${path ? path + "." : ""}${k}`)) continue;
        if (!absent(`${path ? path + "." : ""}${k}`, x)) out[k] = clean(`${path ? path + "." : ""}${k}`, x);
      }
      return out;
    }
    if (typeof v === "string" && numbers.has(path) && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
    return v;
  }

  function pairText(path, key, v, indent, flowHint) {
    const doc = new YAML.Document({}, { version: "1.1" });
    doc.contents.items.push(doc.createPair(key, null));
    doc.contents.items[0].value = node(doc, path, v, flowHint);
    let text = doc.toString({ lineWidth: 0, flowCollectionPadding: false,
                              indentSeq: true }).replace(/\n$/, "");
    text = plainDates(text);
    return text.split("\n").map((line, i) => (i && line ? indent + line : line)).join("\n");
  }

  function fresh(data, order) {
    const keys = orderKeys(Object.keys(data), order);
    const lines = [];
    for (const k of keys) {
      if (k === SOURCE || k === "body" && spec.markdown || drop.has(k) || absent(k, data[k])) continue;
      lines.push(pairText(k, k, data[k], "", undefined));
    }
    return lines.length ? lines.join("\n") + "\n" : "";
  }

  function orderKeys(keys, order) {
    const rank = new Map((order || []).map((k, i) => [k, i]));
    return [...keys].sort((a, b) => (rank.has(a) ? rank.get(a) : 1e9) - (rank.has(b) ? rank.get(b) : 1e9));
  }

  // --- editing the original text ----------------------------------------------------

  function editYaml(text, oldData, newData, order) {
    const doc = YAML.parseDocument(text, parseOptions);
    const edits = [];
    const lineStart = (i) => text.lastIndexOf("\n", i - 1) + 1;
    const lineEnd = (i) => { const j = text.indexOf("\n", i); return j < 0 ? text.length : j; };
    const indentAt = (i) => text.slice(lineStart(i), i).replace(/[^ ]/g, " ");
    const pairEnd = (pair) => {
      const v = pair.value;
      let end = v && v.range ? v.range[1] : pair.key.range[1];
      while (end > 0 && text[end - 1] === "\n") end -= 1;
      return end;
    };

    function replacePair(pair, path, key, v) {
      const start = pair.key.range[0];
      const flowHint = pair.value && pair.value.flow === true ? true : undefined;
      edits.push([start, pairEnd(pair), pairText(path, key, v, indentAt(start), flowHint)]);
    }

    function map(mapNode, oldObj, newObj, path, topOrder) {
      if (mapNode.flow) return false;
      const seen = new Set();
      let last = null;
      const after = new Map();
      for (const pair of mapNode.items) {
        const k = String(pair.key && pair.key.value);
        const p = path ? `${path}.${k}` : k;
        seen.add(k);
        last = pair;
        after.set(k, pair);
        if (drop.has(p) || (path === "" && spec.markdown && k === "body")) continue;
        const ov = oldObj ? oldObj[k] : undefined;
        const nv = newObj ? newObj[k] : undefined;
        if (same(p, ov, nv)) continue;
        if (empty(p, nv)) {  // cleared in the form: the key goes (a default value stays written)
          const s = lineStart(pair.key.range[0]);
          edits.push([s, Math.min(text.length, lineEnd(pairEnd(pair)) + 1), ""]);
          continue;
        }
        if (!value(pair.value, ov, nv, p)) replacePair(pair, p, k, nv);
      }
      const added = orderKeys(Object.keys(newObj || {}).filter((k) => !seen.has(k)), topOrder);
      for (const k of added) {
        const p = path ? `${path}.${k}` : k;
        if (k === SOURCE || drop.has(p) || (path === "" && spec.markdown && k === "body")
            || absent(p, newObj[k])) continue;
        let anchor = last;
        if (topOrder) {  // after the nearest key that comes before it in the form
          const i = topOrder.indexOf(k);
          for (let j = i - 1; j >= 0; j -= 1) if (after.has(topOrder[j])) { anchor = after.get(topOrder[j]); break; }
        }
        if (!anchor) return false;
        const at = lineEnd(pairEnd(anchor));
        edits.push([at, at, "\n" + indentAt(anchor.key.range[0]) + pairText(p, k, newObj[k], indentAt(anchor.key.range[0]), undefined)]);
      }
      return true;
    }

    function value(n, ov, nv, p, inFlow = false) {
      if (YAML.isScalar(n) && (nv === null || typeof nv !== "object")) {
        if (n.type === "BLOCK_LITERAL" || n.type === "BLOCK_FOLDED") return false;
        const s = scalar(p, nv, inFlow);
        if (s === null) return false;
        edits.push([n.range[0], n.range[1], s]);
        return true;
      }
      if (YAML.isMap(n) && nv && typeof nv === "object" && !Array.isArray(nv)) {
        if (n.flow) return flowMap(n, ov, nv, p);
        return map(n, ov, nv, p, null);
      }
      if (YAML.isSeq(n) && Array.isArray(nv) && Array.isArray(ov) && nv.length === ov.length) {
        return n.items.every((item, i) => same(p, ov[i], nv[i])
                             || value(item, ov[i], nv[i], p, inFlow || n.flow === true));
      }
      if (YAML.isSeq(n) && !n.flow && Array.isArray(nv) && Array.isArray(ov) && n.items.length) {
        return blockSeq(n, ov, nv, p);
      }
      return false;
    }

    // A block list that got items at its end, or lost some: only those items' lines change.
    function blockSeq(n, ov, nv, p) {
      const itemEnd = (item) => {
        let end = item.range[1];
        while (end > 0 && text[end - 1] === "\n") end -= 1;
        return end;
      };
      const prefix = (item) => text.slice(lineStart(item.range[0]), item.range[0]);
      if (!n.items.every((item) => /^ *- $/.test(prefix(item)))) return false;
      if (nv.length > ov.length) {
        for (let i = 0; i < ov.length; i += 1) {
          if (!same(p, ov[i], nv[i]) && !value(n.items[i], ov[i], nv[i], p)) return false;
        }
        const last = n.items[n.items.length - 1];
        const dash = prefix(last).slice(0, -2);
        const flow = YAML.isMap(last) || YAML.isSeq(last) ? last.flow === true : undefined;
        const lines = nv.slice(ov.length).map((v) => {
          const doc = new YAML.Document([null], { version: "1.1" });
          doc.contents.items[0] = node(doc, p, v, flow);
          const t = plainDates(doc.toString({ lineWidth: 0, flowCollectionPadding: false })
            .replace(/\n$/, ""));
          return t.split("\n").map((line, i) => (i && line ? dash + line : line)).join("\n");
        });
        const at = lineEnd(itemEnd(last));
        edits.push([at, at, lines.map((l) => "\n" + dash + l).join("")]);
        return true;
      }
      // fewer items: those the new list still has, in order, stay; the others go
      const keep = [];
      let j = 0;
      for (let i = 0; i < ov.length && j < nv.length; i += 1) if (same(p, ov[i], nv[j])) { keep.push(i); j += 1; }
      if (j !== nv.length) return false;
      n.items.forEach((item, i) => {
        if (!keep.includes(i)) {
          edits.push([lineStart(item.range[0]), Math.min(text.length, lineEnd(itemEnd(item)) + 1), ""]);
        }
      });
      return true;
    }

    function flowMap(n, ov, nv, p) {
      // only scalars changed in place; anything else writes the pair again
      const keys = new Set([...Object.keys(ov || {}), ...Object.keys(nv || {})]);
      const byKey = new Map(n.items.map((pair) => [String(pair.key.value), pair]));
      const todo = [];
      for (const k of keys) {
        if (same(`${p}.${k}`, ov[k], nv[k])) continue;
        const pair = byKey.get(k);
        if (!pair || !YAML.isScalar(pair.value) || absent(`${p}.${k}`, nv[k]) || typeof nv[k] === "object") return false;
        todo.push([pair.value, `${p}.${k}`, nv[k]]);
      }
      for (const [sn, sp, sv] of todo) if (!value(sn, undefined, sv, sp, true)) return false;
      return true;
    }

    if (!doc.contents || !YAML.isMap(doc.contents)) return null;
    if (!map(doc.contents, oldData, newData, "", order)) return null;
    // from the end; at one position the edit made last goes in first, so what was made
    // first (a list's new items) ends up before it (a key after that list)
    const steps = edits.map((e, i) => [...e, i]).sort((a, b) => b[0] - a[0] || b[3] - a[3]);
    let out = text;
    for (const [s, e, t] of steps) out = out.slice(0, s) + t + out.slice(e);
    return out;
  }

  function toFile(data, order) {
    const source = data[SOURCE];
    if (typeof source !== "string") {
      const yaml = fresh(data, order);
      if (!spec.markdown) return yaml;
      const body = typeof data.body === "string" ? data.body : "";
      return `---\n${yaml}---\n${body}`;
    }
    const bom = source.startsWith("\uFEFF") ? "\uFEFF" : "";
    const parts = split(source.slice(bom.length));
    const oldData = fromFile(source);
    let yaml = editYaml(parts.yaml, oldData, data, order);
    if (yaml === null) yaml = fresh(data, order);  // not a mapping before: written anew
    if (!spec.markdown) return bom + yaml;
    let body = data.body;
    if (typeof body !== "string" || same("body", oldData.body, body)) body = parts.body;
    return `${bom}${parts.head || "---\n"}${yaml}${parts.sep || "---\n"}${body}`;
  }

  return { fromFile, toFile };
}
