import { createReadStream, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";

/**
 * `keel jobs logs <run>`: one run's lines from the node's log files in $KEEL_HOME/logs, oldest
 * file first: the rotated ones (`keel.log.1`, `keel.log-20261207`, gzipped or not) by age, then
 * `keel.log`. Every line about a run carries its `runId` (docs/tracing.md), so nothing else is
 * stored per run. The lines are as the node wrote them: already redacted by its logger.
 */
export interface RunLogs {
  run_id: string;
  /** the log lines, oldest first, as JSON objects */
  lines: Record<string, unknown>[];
  /** the files read, oldest first */
  files: string[];
  /** more lines matched than `limit`: the oldest were left out */
  truncated: boolean;
}

export function logFiles(home: string): string[] {
  const dir = join(home, "logs");
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n === "keel.log" || n.startsWith("keel.log."));
  } catch {
    return [];
  }
  names.push(...readdirSync(dir).filter((n) => n.startsWith("keel.log-")));
  const aged = names.map((name) => ({ name, mtime: statSync(join(dir, name)).mtimeMs }));
  // keel.log is written last; the rotated files by when they stopped being written
  aged.sort(
    (a, b) => Number(a.name === "keel.log") - Number(b.name === "keel.log") || a.mtime - b.mtime,
  );
  return aged.map((a) => join(dir, a.name));
}

export async function readRunLogs(home: string, runId: string, limit: number): Promise<RunLogs> {
  const files = logFiles(home);
  const lines: Record<string, unknown>[] = [];
  let matched = 0;
  for (const file of files) {
    const raw = createReadStream(file);
    const input = file.endsWith(".gz") ? raw.pipe(createGunzip()) : raw;
    const reader = createInterface({ input, crlfDelay: Infinity });
    try {
      for await (const line of reader) {
        // a cheap test first: most lines are about other runs
        if (!line.includes(runId)) continue;
        const parsed = parseLine(line);
        if (parsed?.runId !== runId) continue;
        matched++;
        lines.push(parsed);
        if (lines.length > limit) lines.shift();
      }
    } catch {
      // a rotated file cut short or not gzip after all: what was read of it stands
    } finally {
      reader.close();
      raw.destroy();
    }
  }
  return {
    run_id: runId,
    lines,
    files: files.map((f) => f.slice(join(home, "logs").length + 1)),
    truncated: matched > lines.length,
  };
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
