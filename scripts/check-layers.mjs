#!/usr/bin/env node
// Checks the architecture of src/ with no dependencies:
//   1. dependency direction between layers (the first folder under src/):
//        cli -> api -> ops -> engine -> store -> core   (each may import any layer to its right)
//      src/index.ts is the public entry point above them all and may import anything;
//      nothing inside src/ may import it.
//   2. core/ imports no module that does I/O (node:fs, node:net, better-sqlite3, pg, ...).
//   3. SQL lives only in src/store/: string literals elsewhere must not contain
//      SELECT, INSERT INTO, UPDATE, DELETE FROM or CREATE TABLE.
//   4. no import cycles among src/ files (type-only imports included).
//   5. a backend's folder (any folder under src/store/: sqlite/, postgres/) is imported only from
//      src/store/: everything above talks to the Store interface, open-store.ts and files.ts.
// Test files (*.test.ts, *.spec.ts, __tests__/) are not checked.
// Usage: node scripts/check-layers.mjs [project-root]   (default: this script's parent folder)
// Prints "layers ok: N files", or every violation and exits 1.

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(
  process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), ".."),
);
const srcDir = path.join(root, "src");

// Lower rank = lower layer. A file may import its own layer or any lower one.
const LAYERS = ["core", "store", "engine", "ops", "api", "cli"];
const PUBLIC = "public"; // src/index.ts
const rank = (layer) => (layer === PUBLIC ? LAYERS.length : LAYERS.indexOf(layer));

// Modules core/ must not import: they do I/O (files, network, processes, databases, logging).
const CORE_FORBIDDEN = new Set([
  "fs",
  "fs/promises",
  "net",
  "http",
  "https",
  "http2",
  "child_process",
  "dgram",
  "dns",
  "dns/promises",
  "tls",
  "cluster",
  "worker_threads",
  "readline",
  "readline/promises",
  "repl",
  "inspector",
  "inspector/promises",
  "sqlite",
  "module",
  "os",
  "process",
  "stream",
  "stream/promises",
  "better-sqlite3",
  "pg",
  "pg-pool",
  "pg-cursor",
  "postgres",
  "mysql",
  "mysql2",
  "sqlite3",
  "redis",
  "ioredis",
  "amqplib",
  "mqtt",
  "nats",
  "kafkajs",
  "undici",
  "ws",
  "pino",
  "commander",
]);
const isCoreForbidden = (spec) => {
  const bare = spec.startsWith("node:") ? spec.slice(5) : spec;
  if (CORE_FORBIDDEN.has(bare)) return true;
  // Also a package's subpaths ("pg/lib/...") and scoped helpers of the same family.
  const pkg = bare.startsWith("@") ? bare.split("/").slice(0, 2).join("/") : bare.split("/")[0];
  return CORE_FORBIDDEN.has(pkg) || /^pg-/.test(pkg);
};

const SQL_RE = /\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|CREATE TABLE)\b/;

const rel = (file) => path.relative(root, file).split(path.sep).join("/");
const violations = [];
const violation = (msg) => violations.push(msg);

// ---------------------------------------------------------------- files

function listSources(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === "node_modules" || entry.name === "__tests__") continue;
      out.push(...listSources(full));
    } else if (
      entry.isFile() &&
      /\.(ts|mts|cts|tsx)$/.test(entry.name) &&
      !/\.(test|spec)\.(ts|mts|cts|tsx)$/.test(entry.name)
    ) {
      out.push(full);
    }
  }
  return out;
}

function layerOf(file) {
  const parts = path.relative(srcDir, file).split(path.sep);
  if (parts.length === 1) return /^index\.(ts|mts|cts|tsx)$/.test(parts[0]) ? PUBLIC : null;
  return LAYERS.includes(parts[0]) ? parts[0] : null;
}

// The backend a file belongs to: the folder under src/store/ it sits in (store/sqlite/x.ts ->
// "sqlite"), or null for the store's own backend-neutral files and every other layer.
function backendOf(file) {
  const parts = path.relative(srcDir, file).split(path.sep);
  return parts[0] === "store" && parts.length > 2 ? parts[1] : null;
}

// ---------------------------------------------------------------- tokenizer
// Just enough of TypeScript's lexical grammar to tell code from comments, strings, templates
// and regular expressions. Tokens: {t: "id"|"num"|"str"|"tpl"|"regex"|"punct", v, line}.

const EXPR_KEYWORDS = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
  "extends",
  "satisfies",
  "as",
]);

function tokenize(text) {
  const toks = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  let braceDepth = 0;
  const templateDepths = []; // brace depth at which each open `${` started

  const regexAllowed = () => {
    const p = toks[toks.length - 1];
    if (!p) return true;
    if (p.t === "id") return EXPR_KEYWORDS.has(p.v);
    if (p.t === "punct") return !(p.v === ")" || p.v === "]" || p.v === "}");
    return false;
  };

  // Reads template text from i up to the closing backtick or the next `${`.
  const readTemplatePart = () => {
    const startLine = line;
    let s = "";
    while (i < n) {
      const c = text[i];
      if (c === "\\") {
        if (text[i + 1] === "\n") line++;
        s += text.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (c === "`") {
        i++;
        toks.push({ t: "tpl", v: s, line: startLine });
        return;
      }
      if (c === "$" && text[i + 1] === "{") {
        i += 2;
        toks.push({ t: "tpl", v: s, line: startLine });
        templateDepths.push(braceDepth);
        return;
      }
      if (c === "\n") line++;
      s += c;
      i++;
    }
    toks.push({ t: "tpl", v: s, line: startLine }); // unterminated: tsc will complain
  };

  while (i < n) {
    const c = text[i];
    if (c === "\n") {
      line++;
      i++;
    } else if (
      c === " " ||
      c === "\t" ||
      c === "\r" ||
      c === "\f" ||
      c === "\v" ||
      c === "\uFEFF" ||
      /\s/.test(c)
    ) {
      i++;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < n && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end === -1 ? n : end + 2;
      for (let k = i; k < stop; k++) if (text[k] === "\n") line++;
      i = stop;
    } else if (c === '"' || c === "'") {
      const startLine = line;
      let s = "";
      i++;
      while (i < n && text[i] !== c && text[i] !== "\n") {
        if (text[i] === "\\") {
          if (text[i + 1] === "\n") line++;
          s += text.slice(i, i + 2);
          i += 2;
        } else {
          s += text[i++];
        }
      }
      i++; // closing quote
      toks.push({ t: "str", v: s, line: startLine });
    } else if (c === "`") {
      i++;
      readTemplatePart();
    } else if (
      c === "}" &&
      templateDepths.length > 0 &&
      templateDepths[templateDepths.length - 1] === braceDepth
    ) {
      templateDepths.pop();
      i++;
      readTemplatePart();
    } else if (c === "/" && regexAllowed()) {
      const startLine = line;
      let s = "/";
      let inClass = false;
      i++;
      while (i < n && text[i] !== "\n") {
        const d = text[i];
        if (d === "\\") {
          s += text.slice(i, i + 2);
          i += 2;
          continue;
        }
        s += d;
        i++;
        if (d === "[") inClass = true;
        else if (d === "]") inClass = false;
        else if (d === "/" && !inClass) break;
      }
      while (i < n && /[a-z]/i.test(text[i])) s += text[i++];
      toks.push({ t: "regex", v: s, line: startLine });
    } else if (/[A-Za-z_$\u0080-\uFFFF]/.test(c)) {
      let s = "";
      while (i < n && /[\w$\u0080-\uFFFF]/.test(text[i])) s += text[i++];
      toks.push({ t: "id", v: s, line });
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(text[i + 1] ?? ""))) {
      let s = "";
      while (i < n && /[\w.]/.test(text[i])) s += text[i++];
      toks.push({ t: "num", v: s, line });
    } else {
      if (c === "{") braceDepth++;
      else if (c === "}") braceDepth--;
      toks.push({ t: "punct", v: c, line });
      i++;
    }
  }
  return toks;
}

// ---------------------------------------------------------------- imports

const isId = (tok, v) => tok !== undefined && tok.t === "id" && tok.v === v;
const isPunct = (tok, v) => tok !== undefined && tok.t === "punct" && tok.v === v;

// Every module specifier a file imports or re-exports, with whether the import is type-only
// (`import type` / `export type`: erased at runtime; `import { type X }` is not, under
// verbatimModuleSyntax it stays as a side-effect import).
function findImports(toks) {
  const out = [];
  for (let k = 0; k < toks.length; k++) {
    const tok = toks[k];
    if (tok.t !== "str") continue;
    const prev = toks[k - 1];
    let typeOnly = false;
    let line = tok.line;
    if (isId(prev, "from")) {
      // import ... from "x" / export ... from "x": find the statement's keyword.
      let j = k - 2;
      while (j >= 0 && !isId(toks[j], "import") && !isId(toks[j], "export")) {
        if (isPunct(toks[j], ";")) break;
        j--;
      }
      if (j < 0 || !(isId(toks[j], "import") || isId(toks[j], "export"))) continue;
      line = toks[j].line;
      const next = toks[j + 1];
      const after = toks[j + 2];
      typeOnly =
        isId(next, "type") && !isId(after, "from") && !isPunct(after, ",") && !isPunct(after, "=");
    } else if (isId(prev, "import") && !isPunct(toks[k - 2], ".")) {
      // import "x" (side effect)
    } else if (
      isPunct(prev, "(") &&
      (isId(toks[k - 2], "import") || isId(toks[k - 2], "require"))
    ) {
      // import("x"), require("x"), import x = require("x")
      typeOnly = isId(toks[k - 3], "typeof");
    } else {
      continue;
    }
    out.push({ spec: tok.v, line, typeOnly });
  }
  return out;
}

function resolveRelative(fromFile, spec) {
  const base = path.resolve(path.dirname(fromFile), spec);
  const candidates = [];
  const m = /\.(m|c)?jsx?$/.exec(base);
  if (m) {
    const stem = base.slice(0, -m[0].length);
    const kind = m[1] ?? "";
    candidates.push(`${stem}.${kind}ts`);
    if (kind === "") candidates.push(`${stem}.tsx`);
  }
  candidates.push(base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts"));
  return candidates.find((f) => existsSync(f) && statSync(f).isFile()) ?? null;
}

// ---------------------------------------------------------------- checks

if (!existsSync(srcDir)) {
  console.error(`check-layers: no src/ folder in ${root}`);
  process.exit(1);
}

const files = listSources(srcDir).sort();
const fileSet = new Set(files);
const graph = new Map(); // file -> [{to, line, typeOnly}]

for (const file of files) {
  const layer = layerOf(file);
  if (layer === null) {
    violation(
      `${rel(file)}: not in a layer; src/ files belong in ${LAYERS.map((l) => `src/${l}/`).join(", ")} (or are src/index.ts)`,
    );
  }
  const text = readFileSync(file, "utf8");
  const toks = tokenize(text);
  const edges = [];
  graph.set(file, edges);

  for (const imp of findImports(toks)) {
    const where = `${rel(file)}:${imp.line}`;
    if (
      imp.spec.startsWith("./") ||
      imp.spec.startsWith("../") ||
      imp.spec === "." ||
      imp.spec === ".."
    ) {
      // Only src/ is layered: imports of files outside it (e.g. the bundled examples) are not
      // checked here, and a missing file is tsc's to report.
      if (!path.resolve(path.dirname(file), imp.spec).startsWith(srcDir + path.sep)) continue;
      const target = resolveRelative(file, imp.spec);
      if (target === null) {
        if (!/\.(json|sql|txt)$/.test(imp.spec))
          violation(`${where}: cannot resolve import "${imp.spec}" inside src/`);
        continue;
      }
      if (!fileSet.has(target)) continue; // a test file or non-TS asset inside src/
      edges.push({ to: target, line: imp.line, typeOnly: imp.typeOnly });
      const targetLayer = layerOf(target);
      const backend = backendOf(target);
      if (backend !== null && layer !== "store") {
        violation(
          `${where}: imports the ${backend} backend ("${imp.spec}" is ${rel(target)}); only src/store/ imports a backend folder: use store/open-store.ts, store/files.ts or the Store interface`,
        );
      }
      if (layer === null || targetLayer === null || layer === targetLayer) continue;
      if (targetLayer === PUBLIC) {
        violation(
          `${where}: imports the public entry point src/index.ts ("${imp.spec}"); import the module it re-exports instead`,
        );
      } else if (layer !== PUBLIC && rank(targetLayer) > rank(layer)) {
        const allowed = LAYERS.slice(0, rank(layer) + 1).join(", ");
        violation(
          `${where}: layer ${layer} must not import layer ${targetLayer} ("${imp.spec}" is ${rel(target)}); ${layer} may import: ${allowed}`,
        );
      }
    } else if (layer === "core" && isCoreForbidden(imp.spec)) {
      violation(
        `${where}: core must stay free of I/O but imports "${imp.spec}"; move this to store/ or engine/`,
      );
    }
  }

  if (layer !== "store") {
    for (const tok of toks) {
      if (tok.t !== "str" && tok.t !== "tpl") continue;
      const m = SQL_RE.exec(tok.v);
      if (!m) continue;
      const line = tok.line + (tok.v.slice(0, m.index).match(/\n/g)?.length ?? 0);
      const snippet = tok.v.replace(/\s+/g, " ").trim().slice(0, 60);
      violation(
        `${rel(file)}:${line}: SQL outside src/store/ ("${m[1]}" in ${JSON.stringify(snippet)}); keep SQL in the store layer`,
      );
    }
  }
}

// ---------------------------------------------------------------- cycles (Tarjan's SCC)

function stronglyConnected(nodes) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const sccs = [];
  // Iterative, so deep import chains cannot overflow the call stack.
  for (const start of nodes) {
    if (idx.has(start)) continue;
    const work = [{ v: start, e: 0 }];
    idx.set(start, index);
    low.set(start, index++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const edges = graph.get(frame.v);
      if (frame.e < edges.length) {
        const w = edges[frame.e++].to;
        if (!idx.has(w)) {
          idx.set(w, index);
          low.set(w, index++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, e: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.v, Math.min(low.get(frame.v), idx.get(w)));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].v;
        low.set(parent, Math.min(low.get(parent), low.get(frame.v)));
      }
      if (low.get(frame.v) === idx.get(frame.v)) {
        const scc = [];
        let w;
        do {
          w = stack.pop();
          onStack.delete(w);
          scc.push(w);
        } while (w !== frame.v);
        sccs.push(scc);
      }
    }
  }
  return sccs;
}

// Shortest cycle through `start` inside one strongly connected component (BFS).
function cycleThrough(start, members) {
  const prev = new Map();
  const queue = [start];
  const seen = new Set([start]);
  while (queue.length > 0) {
    const v = queue.shift();
    for (const edge of graph.get(v)) {
      if (!members.has(edge.to)) continue;
      if (edge.to === start) {
        const chain = [{ file: v, edge }];
        let cur = v;
        while (cur !== start) {
          const p = prev.get(cur);
          chain.unshift({ file: p.from, edge: p.edge });
          cur = p.from;
        }
        return chain;
      }
      if (!seen.has(edge.to)) {
        seen.add(edge.to);
        prev.set(edge.to, { from: v, edge });
        queue.push(edge.to);
      }
    }
  }
  return [];
}

// One chain per cycle found, until every file of each tangled group is on a reported chain.
for (const scc of stronglyConnected(files)) {
  const selfLoop = scc.length === 1 && graph.get(scc[0]).some((e) => e.to === scc[0]);
  if (scc.length === 1 && !selfLoop) continue;
  const members = new Set(scc);
  const covered = new Set();
  for (const start of [...scc].sort()) {
    if (covered.has(start)) continue;
    const chain = cycleThrough(start, members);
    for (const { file } of chain) covered.add(file);
    const text = chain
      .map(({ file, edge }) => `${rel(file)}:${edge.line}${edge.typeOnly ? " (import type)" : ""}`)
      .concat(rel(start))
      .join(" -> ");
    violation(`import cycle: ${text}`);
  }
}

// ---------------------------------------------------------------- report

if (violations.length > 0) {
  for (const v of violations) console.error(`check-layers: ${v}`);
  console.error(`check-layers: ${violations.length} violation(s) in ${files.length} files`);
  process.exit(1);
}
console.log(`layers ok: ${files.length} files`);
