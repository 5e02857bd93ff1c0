// One JSON line per measurement: printed to stdout and appended to bench/results/<date>.jsonl.
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { benchDir, round } from "./common.mjs";

export const resultsDir = join(benchDir, "results");
const collected = [];
let mode = "full";
let runFields = {};
/** a file of its own for a bench that is not run.mjs's (postgres.mjs), else the day's file */
let fileOverride = null;

export function setResultsFile(file) {
  fileOverride = file;
}

/** quick or full, and the fields every line of this run carries (its id: the start time) */
export function setMode(value, fields = {}) {
  mode = value;
  runFields = fields;
}

export function resultsFile(date = new Date()) {
  return join(resultsDir, `${date.toISOString().slice(0, 10)}.jsonl`);
}

/**
 * The fixed fields first, in this order; a case may add its own (recovery_ms, per_step_ms...).
 * `system` is the product; `variant` names the settings when they differ from its defaults.
 */
export function record(fields) {
  const line = {
    system: fields.system,
    version: fields.version,
    store: fields.store,
    durability: fields.durability,
    case: fields.case,
    n: fields.n,
    concurrency: fields.concurrency ?? null,
    jobs_per_s: round(fields.jobs_per_s, 1),
    p50_ms: fields.p50_ms ?? null,
    p95_ms: fields.p95_ms ?? null,
    p99_ms: fields.p99_ms ?? null,
    notes: fields.notes ?? "",
  };
  for (const [key, value] of Object.entries(fields)) if (!(key in line)) line[key] = value;
  line.mode = mode;
  Object.assign(line, runFields);
  line.at = new Date().toISOString();
  appendLine(fileOverride ?? resultsFile(), line);
  collected.push(line);
  return line;
}

/** prints one result line to stdout and appends it to a JSON-lines file of bench/results/ */
export function appendLine(file, line) {
  mkdirSync(resultsDir, { recursive: true });
  appendFileSync(file, `${JSON.stringify(line)}\n`);
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

export function collectedResults() {
  return [...collected];
}
