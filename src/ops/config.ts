import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import type { LineCounter, parseDocument } from "yaml";
import type { ZodError } from "zod";
import { InvalidInputError } from "../core/errors/definition-errors.js";
import { configSchema, type KeelConfig } from "./config-schema.js";

/**
 * Loads keel.yaml once, at the edge: defaults < file < KEEL_* environment. The result is frozen.
 * Errors name the key, its line in the file, and the nearest valid key for a typo.
 */
export interface ResolvedConfig extends KeelConfig {
  /** the file read, or null when none */
  file: string | null;
  /** pipeline modules as absolute paths */
  pipelineModules: string[];
}

export function findConfigFile(explicit?: string): string | null {
  const candidate = explicit ?? process.env.KEEL_CONFIG;
  if (candidate) {
    if (!existsSync(candidate))
      throw new InvalidInputError(`config file ${candidate} does not exist`, { file: candidate });
    return resolve(candidate);
  }
  return existsSync("keel.yaml") ? resolve("keel.yaml") : null;
}

export function loadConfig(
  explicit?: string,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConfig {
  const file = findConfigFile(explicit);
  let lines: LineCounter | undefined;
  let raw: Record<string, unknown> = {};
  let doc: ReturnType<typeof parseDocument> | undefined;
  if (file) {
    const yaml = loadYaml();
    lines = new yaml.LineCounter();
    doc = yaml.parseDocument(readFileSync(file, "utf8"), {
      lineCounter: lines,
      prettyErrors: true,
    });
    if (doc.errors.length > 0) {
      const first = doc.errors[0];
      throw new InvalidInputError(`${file}: not valid YAML: ${first?.message ?? "parse error"}`, {
        file,
      });
    }
    const value = doc.toJS() as unknown;
    if (
      value !== null &&
      value !== undefined &&
      (typeof value !== "object" || Array.isArray(value))
    ) {
      throw new InvalidInputError(
        `${file}: the top level must be a mapping of keys (like "workers:"), not ${Array.isArray(value) ? "a list" : typeof value}`,
        { file },
      );
    }
    raw = (value as Record<string, unknown>) ?? {};
  }
  const merged = applyEnv(raw, env);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw configError(parsed.error, file, doc, lines);
  const base = file ? dirname(file) : process.cwd();
  return Object.freeze({
    ...parsed.data,
    file,
    pipelineModules: parsed.data.pipelines.map((p) => resolve(base, p)),
  });
}

/**
 * The YAML parser, loaded when there is a file to read: a command run where no keel.yaml is (most
 * CLI calls) does without its 70 modules. A CommonJS package, so a synchronous require loads it.
 */
function loadYaml(): typeof import("yaml") {
  return createRequire(import.meta.url)("yaml") as typeof import("yaml");
}

/** KEEL_WORKERS_CONCURRENCY=4 -> workers.concurrency = 4; KEEL_PIPELINES=a.js,b.js -> pipelines. */
function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(raw);
  // the short names a cluster node is started with; KEEL_CLUSTER_* below wins over them
  const cluster = (out.cluster ?? {}) as Record<string, unknown>;
  if (env.KEEL_JOIN_TOKEN) out.cluster = { ...cluster, join_token: env.KEEL_JOIN_TOKEN };
  if (env.KEEL_HOST_ID)
    out.cluster = { ...(out.cluster as object | undefined), host_id: env.KEEL_HOST_ID };
  const shape = configSchema.shape as Record<string, unknown>;
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("KEEL_") || value === undefined) continue;
    const key = name.slice(5).toLowerCase();
    if (key === "home") out.home = value;
    else if (key === "pipelines")
      out.pipelines = value
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    else {
      const section = Object.keys(shape).find((s) => key.startsWith(`${s}_`));
      if (!section) continue; // KEEL_CONFIG, KEEL_STORE and friends are read elsewhere
      const field = key.slice(section.length + 1);
      const current = (out[section] ?? {}) as Record<string, unknown>;
      // a key one level deeper: KEEL_SERVER_TLS_CERT -> server.tls.cert
      const nested = nestedKeys(shape[section]).find((k) => field.startsWith(`${k}_`));
      if (nested) {
        const inner = (current[nested] ?? {}) as Record<string, unknown>;
        const leaf = field.slice(nested.length + 1);
        out[section] = { ...current, [nested]: { ...inner, [leaf]: coerce(value) } };
      } else out[section] = { ...current, [field]: coerce(value) };
    }
  }
  return out;
}

/** The keys of a section whose values are sections themselves (server.tls). */
function nestedKeys(section: unknown): string[] {
  const shape = (unwrap(section) as { shape?: Record<string, unknown> } | undefined)?.shape ?? {};
  return Object.keys(shape).filter(
    (k) => (unwrap(shape[k]) as { shape?: unknown } | undefined)?.shape !== undefined,
  );
}

function coerce(value: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (value === "true" || value === "false") return value === "true";
  if (value.includes(",")) return value.split(",").map((s) => s.trim());
  return value;
}

function configError(
  error: ZodError,
  file: string | null,
  doc: ReturnType<typeof parseDocument> | undefined,
  lines: LineCounter | undefined,
): InvalidInputError {
  const issue = error.issues[0];
  const path = (issue?.path ?? []).map(String);
  let message = issue?.message ?? "invalid config";
  let key = path.join(".");
  if (issue?.code === "unrecognized_keys") {
    const unknown = issue.keys[0] ?? "";
    key = [...path, unknown].join(".");
    const valid = validKeysAt(path);
    const suggestion = nearest(unknown, valid);
    message = `unknown key "${unknown}"${suggestion ? `; did you mean "${suggestion}"?` : ""} (valid keys here: ${valid.join(", ")})`;
  }
  const line = doc && lines && key ? lineOf(doc, lines, key.split(".")) : undefined;
  const where = file ? `${file}${line ? `:${line}` : ""}` : "config";
  return new InvalidInputError(`${where}: ${key || "(top level)"}: ${message}`, {
    key,
    line,
    file,
  });
}

function validKeysAt(path: string[]): string[] {
  let node: unknown = configSchema;
  for (const part of path) {
    // a map such as `sources:` has no shape: its keys are names, each with the value's schema
    const current = unwrap(node) as
      { shape?: Record<string, unknown>; def?: { valueType?: unknown } } | undefined;
    node = current?.shape ? current.shape[part] : current?.def?.valueType;
  }
  const shape = (unwrap(node) as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

function unwrap(node: unknown): unknown {
  let current = node as { def?: { innerType?: unknown }; unwrap?: () => unknown };
  while (current?.def?.innerType) current = current.def.innerType as typeof current;
  return current;
}

function lineOf(
  doc: ReturnType<typeof parseDocument>,
  lines: LineCounter,
  path: string[],
): number | undefined {
  const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
  const parentPair = findKeyNode(doc, path);
  const offset = parentPair ?? node?.range?.[0];
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

function findKeyNode(doc: ReturnType<typeof parseDocument>, path: string[]): number | undefined {
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  const items = (
    parent as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | null
  )?.items;
  const pair = items?.find((item) => String(item.key?.value) === path.at(-1));
  return pair?.key?.range?.[0];
}

function nearest(word: string, options: string[]): string | undefined {
  let best: { option: string; distance: number } | undefined;
  for (const option of options) {
    const distance = levenshtein(word, option);
    if (!best || distance < best.distance) best = { option, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(word.length / 3))
    ? best.option
    : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        previous + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      previous = current;
    }
  }
  return row[b.length] as number;
}
