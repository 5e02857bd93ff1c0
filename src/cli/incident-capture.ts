import { openSync, readSync, closeSync, statSync, statfsSync } from "node:fs";
import {
  arch,
  cpus,
  freemem,
  hostname,
  loadavg,
  platform,
  release,
  totalmem,
  uptime,
} from "node:os";
import { join } from "node:path";
import { listAudit } from "../api/operations/audit.js";
import { listTransitions } from "../api/operations/events.js";
import { health, status } from "../api/operations/node.js";
import { showRun } from "../api/operations/runs.js";
import { keelVersion } from "../core/version.js";
import { effectiveConfig, configFileKeys } from "../ops/config-show.js";
import type { ResolvedConfig } from "../ops/config.js";
import { postmortem, type TimelineEntry } from "../ops/incident/postmortem.js";
import { scrubJson, scrubText } from "../ops/incident/scrub.js";
import type { TarEntry } from "../ops/incident/tar.js";
import type { Client } from "./client.js";

/**
 * `keel incident capture`: what goes into the archive, gathered through the same operations the
 * CLI calls (the node's API when one runs, the store otherwise), plus the config, the log and the
 * machine. Every file is scrubbed (ops/incident/scrub.ts) before it is packed.
 */
export interface CaptureRequest {
  since: number;
  runs: string[];
  home: string;
  config: ResolvedConfig;
  now: number;
}

/** the files of the archive, in the order docs/operations.md lists them */
export const incidentFiles = [
  "README.txt",
  "status.json",
  "health.json",
  "transitions.json",
  "audit.json",
  "runs/<run>.json",
  "config.json",
  "logs/keel.log",
  "system.json",
  "postmortem.md",
] as const;

const pageLimit = 1000;
const logBytes = 4 * 1024 * 1024;

export async function captureIncident(client: Client, req: CaptureRequest): Promise<TarEntry[]> {
  const redact = req.config.security.path_redaction;
  const since = new Date(req.since).toISOString();
  const file = (name: string, content: string): TarEntry => ({
    name: `incident/${name}`,
    content,
    mtimeMs: req.now,
  });
  const json = (name: string, value: unknown) => file(name, scrubJson(value, redact));
  const [st, hl] = await Promise.all([
    client.call(status, { query: { verbose: true } }).catch((e: Error) => ({ error: e.message })),
    client.call(health, { query: { verbose: true } }).catch((e: Error) => ({ error: e.message })),
  ]);
  const transitions = await transitionsSince(client, req.since);
  const audit = await client.call(listAudit, { query: { since, limit: pageLimit } });
  const runs = await Promise.all(
    req.runs.map(
      async (id) =>
        [
          id,
          await client
            .call(showRun, { params: { id } })
            .catch((e: Error) => ({ error: e.message })),
        ] as const,
    ),
  );
  const config = effectiveConfig(req.config, configFileKeys(req.config.file));
  const entries = [
    file("README.txt", readme(req, since)),
    json("status.json", st),
    json("health.json", hl),
    json("transitions.json", transitions),
    json("audit.json", audit.entries),
    ...runs.map(([id, run]) => json(`runs/${id}.json`, run)),
    json("config.json", config),
    file(
      "logs/keel.log",
      scrubText(logSince(join(req.home, "logs", "keel.log"), req.since), redact),
    ),
    json("system.json", systemFacts(req.home)),
    file(
      "postmortem.md",
      scrubText(
        postmortem({
          capturedAt: new Date(req.now).toISOString(),
          since,
          runs: req.runs,
          transitions: transitions as TimelineEntry[],
          audit: audit.entries,
        }),
        redact,
      ),
    ),
  ];
  return entries;
}

/** the newest transitions (up to 1000) at or after `since`, oldest first */
async function transitionsSince(client: Client, since: number): Promise<unknown[]> {
  const got = await client.call(listTransitions, {
    query: { after: 0, limit: pageLimit, newest: true },
  });
  return got.transitions.filter((t) => t.at !== null && Date.parse(t.at) >= since);
}

/** the log's lines of the window (pino JSON lines, `time` in epoch ms), from its last few MiB */
function logSince(path: string, since: number): string {
  let text: string;
  try {
    const size = statSync(path).size;
    const fd = openSync(path, "r");
    try {
      const length = Math.min(size, logBytes);
      const buf = Buffer.alloc(length);
      readSync(fd, buf, 0, length, size - length);
      text = buf.toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return "(no log file: the node logs to its terminal, or never ran for this home)\n";
  }
  const lines = text.split("\n").filter((line) => {
    const time = /"time":(\d+)/.exec(line)?.[1];
    return time !== undefined && Number(time) >= since;
  });
  return lines.length > 0 ? `${lines.join("\n")}\n` : "(no log line in the window)\n";
}

function systemFacts(home: string) {
  let disk: Record<string, number> | string;
  try {
    const s = statfsSync(home);
    disk = { total_bytes: s.blocks * s.bsize, free_bytes: s.bavail * s.bsize };
  } catch (error) {
    disk = (error as Error).message;
  }
  return {
    keel: keelVersion,
    node: process.version,
    platform: platform(),
    release: release(),
    arch: arch(),
    hostname: hostname(),
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? null,
    load_average: loadavg(),
    memory: { total_bytes: totalmem(), free_bytes: freemem() },
    uptime_s: uptime(),
    disk,
  };
}

function readme(req: CaptureRequest, since: string): string {
  return [
    `keel incident capture, ${new Date(req.now).toISOString()}`,
    `window: since ${since}; runs: ${req.runs.join(", ") || "none named"}`,
    "",
    "files:",
    ...incidentFiles.map((f) => `  ${f}`),
    "",
    "Secrets are masked (tokens, bearer headers, URL passwords, values under secret-looking keys).",
    "",
  ].join("\n");
}
