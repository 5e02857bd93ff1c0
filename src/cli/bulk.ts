import { createInterface } from "node:readline/promises";
import { InvalidArgumentError } from "commander";
import type { Operation } from "../api/operation.js";
import type { bulkJson } from "../api/wire/bulk.js";
import { withClient } from "./client.js";
import { UsageError, printJson } from "./output.js";
import { ExitCode } from "./run-command.js";
import type { GlobalOptions } from "./session.js";

/**
 * The CLI side of a bulk change (`jobs cancel --filter`, `quarantine retry --filter`): a dry run
 * lists exactly which runs; above `confirmAbove` runs the operator confirms on the terminal (or
 * passes --yes; without a terminal and without --yes it is refused); the change then names those
 * runs by id, so it applies to what was listed and nothing that matched since.
 */
export const confirmAbove = 10;
export const filterKeys = [
  "status",
  "pipeline",
  "reason",
  "since",
  "step",
  "code",
  "requires",
  "pool",
] as const;

type BulkJson = ReturnType<typeof bulkJson>;

/** `--filter status=pending,pipeline=ingest` (repeatable): key=value pairs, keys checked here. */
export function filterFlag(
  value: string,
  previous: Record<string, string> = {},
): Record<string, string> {
  const out = { ...previous };
  for (const pair of value
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = pair.indexOf("=");
    const key = pair.slice(0, at);
    if (at <= 0 || !pair.slice(at + 1))
      throw new InvalidArgumentError(`--filter takes key=value pairs, got "${pair}"`);
    if (!(filterKeys as readonly string[]).includes(key))
      throw new InvalidArgumentError(
        `--filter: unknown key "${key}"; keys: ${filterKeys.join(", ")}`,
      );
    out[key] = pair.slice(at + 1);
  }
  return out;
}

export interface BulkFlags {
  filter?: Record<string, string>;
  dryRun?: boolean;
  yes?: boolean;
}

export async function runBulk(
  g: GlobalOptions,
  op: Operation<unknown, unknown, unknown, BulkJson>,
  what: { verb: string; text: Record<string, string> },
  flags: BulkFlags,
): Promise<number> {
  const listed = await withClient(g, (client) =>
    client.call(op, { body: { filter: flags.filter, dry_run: true, ...what.text } }),
  );
  if (flags.dryRun || listed.count === 0) {
    if (g.format === "json") printJson(listed);
    else printListed(listed, what.verb, true);
    return ExitCode.ok;
  }
  if (listed.count > confirmAbove && !flags.yes && !(await confirm(listed.count, what.verb)))
    return ExitCode.failed;
  const result = await withClient(g, (client) =>
    client.call(op, { body: { ids: listed.ids, ...what.text } }),
  );
  if (g.format === "json") printJson(result);
  else printListed(result, what.verb, false);
  return result.failed.length === 0 ? ExitCode.ok : ExitCode.failed;
}

async function confirm(count: number, verb: string): Promise<boolean> {
  if (!process.stdin.isTTY)
    throw new UsageError(
      `refusing to ${verb} ${count} runs without a terminal to confirm: add --yes (check the list first with --dry-run)`,
    );
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${verb} ${count} runs? [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

function printListed(result: BulkJson, verb: string, dryRun: boolean): void {
  const ids = dryRun ? result.ids : result.done;
  process.stdout.write(
    dryRun
      ? `would ${verb} ${result.count} run(s)${result.truncated ? " (the first 10000; narrow the filter)" : ""}:\n`
      : `${verb}: ${result.done.length} run(s) (audit entry ${result.audit_id ?? "-"})\n`,
  );
  for (const id of ids) process.stdout.write(`  ${id}\n`);
  for (const f of result.failed)
    process.stdout.write(`  not ${verb}: ${f.id}: [${f.code}] ${f.message}\n`);
}
