#!/usr/bin/env node
// Checks the code blocks of README.md and docs/**/*.md, which no renderer complains about:
//   - every fence is closed: an unclosed one turns the rest of the page into one code block;
//   - every fenced block names its language (`ts`, `sh`, `yaml`, ...) or `text` for what is not
//     code to run (output, diagrams), see docs/README.md "Code blocks";
//   - no indented code block: a paragraph-level line indented four spaces renders as code;
//   - every block either runs in the doc test (test/integration/doc-blocks.test.ts: `ts`, `sh`,
//     `bash`, `yaml`, `json`) or says it does not: `text`, or a language followed by `norun`
//     (```ts norun, ```sql norun); a shell block says why after the marker (```sh norun needs a
//     PostgreSQL server). See docs/README.md "Code blocks".
// Part of `npm run lint`. No dependencies; prints `file:line: problem` and exits 1 on any.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function markdownFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return markdownFiles(full);
    return e.isFile() && e.name.endsWith(".md") ? [full] : [];
  });
}

const FENCE = /^( *)(`{3,}|~{3,})(.*)$/;
/** the languages the doc test runs or checks; any other block must be `text` or say `norun` */
export const checkedLanguages = ["ts", "sh", "bash", "yaml", "json"];
/** shell blocks run in the doc test unless marked `norun`, and then they say why */
const shellLanguages = ["sh", "bash"];
const LIST_ITEM = /^ *([-*+]|\d+[.)]) /;

/** The problems of one file's text, each `{ line, message }` (lines from 1). */
export function checkMarkdown(text) {
  const problems = [];
  const lines = text.split("\n");
  let open = null; // the fence that opened the current block: { marker, line }
  let inList = false; // since the last heading or unindented paragraph, a list item was seen
  lines.forEach((line, i) => {
    const fence = FENCE.exec(line);
    if (open) {
      // a closing fence: the same character, at least as long, nothing after it
      const closes =
        fence && fence[2][0] === open.marker[0] && fence[2].length >= open.marker.length;
      if (closes && fence[3].trim() === "") open = null;
      return;
    }
    if (fence) {
      open = { marker: fence[2], line: i + 1 };
      const [language, ...markers] = fence[3].trim().split(/\s+/);
      if (!language)
        problems.push({
          line: i + 1,
          message: "code block without a language (use `text` for output or diagrams)",
        });
      else if (
        language !== "text" &&
        !markers.includes("norun") &&
        !checkedLanguages.includes(language)
      )
        problems.push({
          line: i + 1,
          message: `a \`${language}\` block is not run by the doc test: mark it \`${language} norun\` or use one of ${checkedLanguages.join(", ")}`,
        });
      else if (shellLanguages.includes(language) && markers.at(-1) === "norun")
        problems.push({
          line: i + 1,
          message: `a \`${language} norun\` block says why it is not run: \`${language} norun <why>\` (a synopsis, needs a PostgreSQL server...)`,
        });
      return;
    }
    if (LIST_ITEM.test(line)) inList = true;
    else if (/^\S/.test(line)) inList = false;
    const previous = lines[i - 1];
    if (!inList && /^ {4,}\S/.test(line) && previous !== undefined && previous.trim() === "")
      problems.push({
        line: i + 1,
        message: "indented line after a blank line renders as a code block",
      });
  });
  if (open) problems.push({ line: open.line, message: "code fence never closed" });
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = [path.join(root, "README.md"), ...markdownFiles(path.join(root, "docs"))];
  let failed = false;
  for (const file of files) {
    if (!existsSync(file)) continue;
    for (const p of checkMarkdown(readFileSync(file, "utf8"))) {
      failed = true;
      console.error(`${path.relative(root, file)}:${p.line}: ${p.message}`);
    }
  }
  if (failed) process.exit(1);
}
