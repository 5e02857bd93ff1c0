import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { writeFileAtomic } from "./atomic-file.js";
import { maskSecrets } from "./config-show.js";
import type { ResolvedConfig } from "./config.js";

/**
 * `$KEEL_HOME/node-config.json`: what keel.yaml said when the node of this home started, so that
 * `keel doctor` can tell a file edited since (a change the running node does not have) from the
 * config it runs with. Values are flattened to dotted keys and secrets masked.
 */
export interface StartedConfig {
  pid: number;
  file: string | null;
  at: number;
  values: Record<string, string>;
}

export function startedConfigPath(home: string): string {
  return join(home, "node-config.json");
}

export function writeStartedConfig(home: string, config: ResolvedConfig, pid = process.pid): void {
  const record: StartedConfig = {
    pid,
    file: config.file,
    at: Date.now(),
    values: fileValues(config.file),
  };
  writeFileAtomic(startedConfigPath(home), `${JSON.stringify(record, null, 2)}\n`);
}

export function readStartedConfig(home: string): StartedConfig | null {
  try {
    return JSON.parse(readFileSync(startedConfigPath(home), "utf8")) as StartedConfig;
  } catch {
    return null;
  }
}

/** The file's values as dotted keys (`workers.concurrency` -> "4"), secrets masked; {} without one. */
export function fileValues(file: string | null): Record<string, string> {
  if (!file) return {};
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, "utf8"));
  } catch {
    return {};
  }
  const out: Record<string, string> = {};
  flatten(maskSecrets(raw), "", out);
  return out;
}

function flatten(value: unknown, prefix: string, out: Record<string, string>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      flatten(v, prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  if (prefix) out[prefix] = JSON.stringify(value);
}
