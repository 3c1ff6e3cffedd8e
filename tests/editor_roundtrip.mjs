// Run by tests/test_editor.py: the editor's file format over files given on the command
// line, with the format spec of each file's collection. Prints one JSON line per file:
// {file, same: toFile(fromFile(text)) === text, edits: [{field, text}]} where each edit
// changes one top-level field (a scalar: appended "改", a number +1, a boolean flipped).
import fs from "node:fs";
const [formatModule, yamlModule, specsFile, ...pairs] = process.argv.slice(2);
const { makeFormat } = await import(formatModule);
const YAML = (await import(yamlModule)).default;
const specs = JSON.parse(fs.readFileSync(specsFile, "utf8"));
for (let i = 0; i < pairs.length; i += 2) {
  const [collection, file] = [pairs[i], pairs[i + 1]];
  const format = makeFormat(YAML, specs[collection]);
  const text = fs.readFileSync(file, "utf8");
  const data = format.fromFile(text);
  const copy = () => JSON.parse(JSON.stringify(data));
  const same = format.toFile(copy(), Object.keys(data)) === text;
  const edits = [];
  for (const [key, value] of Object.entries(data)) {
    if (key === "__source" || key === "body") continue;
    let changed;
    if (typeof value === "string" && !value.includes("\n")) changed = value + "改";
    else if (typeof value === "number") changed = value + 1;
    else if (typeof value === "boolean") changed = !value;
    else continue;
    const d = copy();
    d[key] = changed;
    edits.push({ field: key, value: changed, text: format.toFile(d, Object.keys(data)) });
  }
  console.log(JSON.stringify({ file, same, edits }));
}
