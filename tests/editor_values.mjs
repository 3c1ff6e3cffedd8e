// Run by tests/test_editor.py: values staff type that YAML could misread, written by the
// editor's format into an existing file (in place, in flow lists and maps, as new keys and
// list items) and into a new file. Prints one JSON line {case, text, expected}.
const [formatModule, yamlModule] = process.argv.slice(2);
const { makeFormat } = await import(formatModule);
const YAML = (await import(yamlModule)).default;
const tricky = ["9:00", "yes", "on", "No", "0012", "1e3", "1_000", "=", "<<", "a: b", "# 注",
                "3栋,4栋", "[甲]", "{乙}", "其他]", "2026-10-03", "2026-11-23 07:30", "'引号'", "\"双\""];
const source = "title: 通知  # 标题\noptions: [不到1年, 1到3年]\nreg: {how: 电话, n: 1}\nlist:\n  - a\n";
const format = makeFormat(YAML, {});
for (const value of tricky) {
  const cases = {
    "in place": (d) => { d.title = value; },
    "flow list item": (d) => { d.options[1] = value; },
    "flow map value": (d) => { d.reg.how = value; },
    "new block list item": (d) => { d.list.push(value); },
    "new key": (d) => { d.extra = value; },
    "new flow list": (d) => { d.more = [value, "乙"]; },
  };
  for (const [name, change] of Object.entries(cases)) {
    const data = format.fromFile(source);
    change(data);
    const expected = JSON.parse(JSON.stringify(data));
    delete expected.__source;
    console.log(JSON.stringify({ case: `${name}: ${value}`, text: format.toFile(data, Object.keys(data)), expected }));
  }
  const fresh = { title: value, list: [value, "乙"], map: { how: value } };
  console.log(JSON.stringify({ case: `new file: ${value}`, text: format.toFile({ ...fresh }, ["title", "list", "map"]), expected: fresh }));
}
