import type { Command } from "commander";
import { setTimeout as sleep } from "node:timers/promises";
import { listTransitions } from "../../api/operations/events.js";
import type { transitionJson } from "../../api/wire/steps.js";
import { isKeelError } from "../../core/errors/keel-error.js";
import { withClient, type Client } from "../client.js";
import { readEventStream } from "../event-stream.js";
import { intFlag } from "../flags.js";
import { printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

/**
 * `keel events tail [--run ID] [--limit N] [--follow]`: the newest transitions of every run (or of
 * one), and with --follow the new ones as they happen: from the node's event stream when a node
 * runs, else by polling the store every 250 ms. Ctrl-C or SIGTERM ends --follow with exit 0.
 */
type Transition = ReturnType<typeof transitionJson>;

const POLL_MS = 250;
const RECONNECT_MS = 1000;
const PAGE = 1000;
const columns = ["at", "run", "step", "change", "reason", "actor"];
/** --follow prints rows as they come, so its columns have fixed widths */
const widths = [24, 30, 16, 24, 24];

export function registerEvents(program: Command, global: () => GlobalOptions): void {
  const events = program
    .command("events")
    .description("the transitions of every run: each step and run status change, as it happens");

  events
    .command("tail")
    .description("the newest transitions, oldest first; with --follow, new ones as they happen")
    .option("--run <id>", "only this run's transitions")
    .option(
      "--limit <n>",
      "how many of the newest to show (default 20)",
      intFlag("--limit", 1, PAGE),
      20,
    )
    .option("--follow", "keep printing new transitions until Ctrl-C")
    .addHelpText(
      "after",
      `
Examples:
  keel events tail --limit 50
  keel events tail --run run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z
  keel events tail --follow --format json     one JSON object per line (NDJSON)

With --follow, a running node's event stream (/v1/events) is read; with no node, the store is
polled every 250 ms. Ctrl-C ends it with exit 0.`,
    )
    .action(
      action(async (opts: { run?: string; limit: number; follow?: boolean }) => {
        const g = global();
        const page = await withClient(g, (client) =>
          client.call(listTransitions, {
            query: { run: opts.run, limit: opts.limit, newest: true },
          }),
        );
        if (!opts.follow) {
          if (g.format === "json") printJson(page);
          else printTable(page.transitions.map(row), columns);
          return ExitCode.ok;
        }
        const print =
          g.format === "json"
            ? (t: Transition) => process.stdout.write(`${JSON.stringify(t)}\n`)
            : (t: Transition) => process.stdout.write(line(row(t)));
        if (g.format === "table")
          process.stdout.write(line(Object.fromEntries(columns.map((c) => [c, c.toUpperCase()]))));
        for (const t of page.transitions) print(t);
        await follow(g, opts.run, page.last_id, print);
        return ExitCode.ok;
      }),
    );
}

function row(t: Transition): Record<string, string> {
  return {
    at: t.at ?? "-",
    run: t.run_id,
    step: t.step ?? "(run)",
    change: `${t.from ?? "-"} -> ${t.to}`,
    reason: t.reason ?? "-",
    actor: t.actor ?? "-",
  };
}

function line(cells: Record<string, string>): string {
  return `${columns
    .map((c, i) => (cells[c] ?? "").padEnd(widths[i] ?? 0))
    .join("  ")
    .trimEnd()}\n`;
}

/**
 * Prints every transition after `after` until SIGINT or SIGTERM. When the node's stream ends or
 * breaks (the node stopped), it connects again: to the node's API if one runs, else to the store.
 */
async function follow(
  g: GlobalOptions,
  run: string | undefined,
  after: number,
  print: (t: Transition) => void,
): Promise<void> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let last = after;
  const seen = (t: Transition): void => {
    if (t.id <= last) return;
    last = t.id;
    print(t);
  };
  try {
    while (!stop.signal.aborted) {
      try {
        await withClient(g, async (client) => {
          process.stderr.write(
            client.api
              ? `following the node's event stream at ${client.api.url} (Ctrl-C to stop)\n`
              : `no node runs: polling the store every ${POLL_MS} ms (Ctrl-C to stop)\n`,
          );
          if (client.api)
            await readEventStream(
              client.api,
              "/v1/events",
              { after: last, run },
              stop.signal,
              (e) => {
                if (e.event === "transition") seen(JSON.parse(e.data) as Transition);
              },
            );
          else await poll(client, run, () => last, stop.signal, seen);
        });
      } catch (error) {
        if (stop.signal.aborted) break;
        // a refused request (a bad token, a bad run id) will be refused again: stop here
        if (isKeelError(error)) throw error;
        process.stderr.write(`the event stream ended (${String(error)}); connecting again\n`);
      }
      await pause(RECONNECT_MS, stop.signal);
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function poll(
  client: Client,
  run: string | undefined,
  last: () => number,
  signal: AbortSignal,
  seen: (t: Transition) => void,
): Promise<void> {
  while (!signal.aborted) {
    const page = await client.call(listTransitions, {
      query: { run, after: last(), limit: PAGE },
    });
    for (const t of page.transitions) seen(t);
    if (page.transitions.length < PAGE) await pause(POLL_MS, signal);
  }
}

/** Waits ms, or less when the signal aborts. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal }).catch(() => undefined);
}
