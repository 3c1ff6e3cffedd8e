// The content editor (/staff/content/): Decap CMS with the portal's file format, the form's
// own checks that the build makes too (with Chinese messages), and the portal's look.
import * as YAML from "../../staff/content/vendor/yaml/index.js";
import { makeFormat } from "./editor-format.js";

const CMS = window.CMS;
const h = window.h;
const createClass = window.createClass;
const page = JSON.parse(document.body.dataset.editor);
const t = page.t;

for (const [name, spec] of Object.entries(page.specs)) {
  const format = makeFormat(YAML, spec);
  CMS.registerCustomFormat(`portal-${name}`, spec.markdown ? "md" : "yml", {
    fromFile: (text) => format.fromFile(text),
    toFile: (data, order) => format.toFile(data, order),
  });
}

// --- the file name of a new entry (the date comes from the form's date field) ----------

const FILE_NAME = /^[a-z0-9][a-z0-9-]*$/;

const FileNameControl = createClass({
  isValid() {
    const { value, entry } = this.props;
    if (!entry.get("newRecord")) return true;
    if (!value) return { error: { type: "CUSTOM", message: t.file_name_required } };
    if (!FILE_NAME.test(value)) return { error: { type: "CUSTOM", message: t.file_name_pattern } };
    const reserved = this.props.field.get("portal_reserved");
    if (reserved && reserved.includes(value)) {
      return { error: { type: "CUSTOM", message: t.file_name_reserved.replace("{name}", value) } };
    }
    return true;
  },
  render() {
    const { value, entry, forID, classNameWrapper, onChange, setActiveStyle, setInactiveStyle } = this.props;
    if (!entry.get("newRecord")) {
      const path = entry.get("path") || "";
      return h("p", { id: forID, className: classNameWrapper }, path.split("/").pop());
    }
    return h("input", {
      id: forID, type: "text", className: classNameWrapper, value: value || "",
      autoComplete: "off", spellCheck: false, pattern: "[a-z0-9][a-z0-9-]*",
      onChange: (e) => onChange(e.target.value.trim().toLowerCase()),
      onFocus: setActiveStyle, onBlur: setInactiveStyle,
    });
  },
});
CMS.registerWidget("portal-file-name", FileNameControl, () => null);

// --- "this date after that one": the checks the build makes across fields ----------------

function read(entry, dotted) {
  return entry.getIn(["data", ...dotted.split(".")]);
}

function minutes(value) {
  // "2026-12-08 09:00" or "2026-12-08" → a comparable number (a date alone: its start)
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}))?/.exec(String(value || ""));
  if (!m) return null;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0)) / 60000;
}

function hasTime(value) {
  return /\d{2}:\d{2}/.test(String(value || ""));
}

// field: {portal_order: {field, relation, message}}; relation "after" (later, or the same
// day when both are dates alone: an all-day event's end) or "not_after".
function orderCheck(field, value, entry) {
  const rule = field.get("portal_order");
  if (!rule || !value) return true;
  const other = read(entry, rule.get("field"));
  const a = minutes(value), b = minutes(other);
  if (a === null || b === null) return true;
  let ok;
  if (rule.get("relation") === "not_after") ok = a <= b;
  else if (rule.get("relation") === "same_day_or_after") ok = Math.floor(a / 1440) >= Math.floor(b / 1440);
  else ok = hasTime(value) || hasTime(other) ? a > b : a >= b;
  if (ok) return true;
  return { error: { type: "CUSTOM", message: rule.get("message") } };
}

// An existing notice's file name starts with its day: the date may change within that day.
function fileDayCheck(field, value, entry) {
  const message = field.get("portal_file_day");
  if (!message || !value || entry.get("newRecord")) return true;
  const day = String(entry.get("path") || "").split("/").pop().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || String(value).slice(0, 10) === day) return true;
  return { error: { type: "CUSTOM", message: message.replace("{day}", day) } };
}

function checked(base) {
  const Inner = CMS.getWidget(base).control;
  return createClass({
    isValid() {
      const order = orderCheck(this.props.field, this.props.value, this.props.entry);
      if (order !== true) return order;
      return fileDayCheck(this.props.field, this.props.value, this.props.entry);
    },
    render() { return h(Inner, this.props); },
  });
}
CMS.registerWidget("portal-datetime", checked("datetime"), CMS.getWidget("datetime").preview);
CMS.registerWidget("portal-when", checked("string"), CMS.getWidget("string").preview);

// --- a preview in the portal's look ----------------------------------------------------

CMS.registerPreviewStyle("../../assets/stylesheets/editor-preview.css");

// The preview frame's document: the page's language and a title, for screen readers.
function nameFrame(doc) {
  if (!doc || !doc.documentElement) return;
  if (!doc.documentElement.lang) doc.documentElement.lang = document.documentElement.lang;
  if (doc.head && !doc.title) {
    const title = doc.createElement("title");
    title.textContent = t.preview;
    doc.head.appendChild(title);
  }
}

function data(entry, key) {
  const value = entry.getIn(["data", key]);
  return value && value.toJS ? value.toJS() : value;
}

// A notice as owners see it: its level, date, category and buildings above the title, the
// text, and the department that signs it.
const NoticePreview = createClass({
  componentDidMount() { nameFrame(this.props.document); },
  render() {
    const { entry, widgetFor } = this.props;
    const level = data(entry, "level") || "normal";
    const buildings = data(entry, "buildings") || [];
    const meta = [data(entry, "date"), data(entry, "category"),
                  buildings.length ? buildings.join("、") : t.all_owners].filter(Boolean);
    return h("article", { className: `portal-notice portal-notice--${level}` },
      h("p", { className: "portal-notice__meta" },
        level !== "normal" ? h("strong", { className: "portal-badge" }, t[`level_${level}`]) : null,
        meta.join(" · ")),
      h("h1", {}, data(entry, "title") || ""),
      data(entry, "expires") ? h("p", { className: "portal-notice__meta" },
        `${t.expires}${data(entry, "expires")}`) : null,
      h("div", { className: "portal-notice__body" }, widgetFor("body")),
      h("p", { className: "portal-notice__sign" }, data(entry, "department") || ""));
  },
});
CMS.registerPreviewTemplate("notices", NoticePreview);

const PagePreview = createClass({
  componentDidMount() { nameFrame(this.props.document); },
  render() {
    const { entry, widgetFor } = this.props;
    return h("article", {}, h("h1", {}, data(entry, "title") || ""), widgetFor("body"));
  },
});
CMS.registerPreviewTemplate("handbook", PagePreview);

// Decap's preview frame has no name for screen readers: give it one.
function namePreview() {
  const frame = document.getElementById("preview-pane");
  if (frame && !frame.title) frame.title = t.preview;
}
new MutationObserver(namePreview).observe(document.body, { childList: true, subtree: true });

CMS.init();
