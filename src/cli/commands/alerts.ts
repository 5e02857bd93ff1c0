import type { Command } from "commander";
import * as ops from "../../api/operations/alerts.js";
import type { AlertDetailsJson, AlertJson } from "../../api/wire/alerts.js";
import { withClient } from "../client.js";
import { intFlag, textFlag } from "../flags.js";
import { printFields, printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

/**
 * `keel alerts list|show|silence|unsilence|test`: the rules keel evaluates itself and delivers to
 * webhooks (docs/alerts.md). Silences and tests are audited (`alert.silence`, `alert.unsilence`,
 * `alert.test`).
 */
export function registerAlerts(program: Command, global: () => GlobalOptions): void {
  const alerts = program
    .command("alerts")
    .description("the alerts keel evaluates itself: list, show, silence, unsilence, test");
  const call = <R>(fn: Parameters<typeof withClient<R>>[1]) => withClient(global(), fn);

  alerts
    .command("list")
    .description("every rule: state (inactive, pending, firing, resolved), threshold, silence")
    .addHelpText(
      "after",
      `
Examples:
  keel alerts list
  keel alerts list --format json

Exit codes: 0 listed.`,
    )
    .action(
      action(async () => {
        const { alerts: list } = await call((c) => c.call(ops.list));
        if (global().format === "json") printJson({ alerts: list });
        else
          printTable(list.map(row), [
            "rule",
            "state",
            "severity",
            "threshold",
            "for",
            "silenced",
            "summary",
          ]);
        return ExitCode.ok;
      }),
    );

  alerts
    .command("show")
    .description("one rule: its state, history, the outbox's queues and the evaluating node")
    .argument("<rule>", "rule id, e.g. queue_backlog")
    .option("--history <n>", "state changes to show", intFlag("--history", 1, 1000), 20)
    .addHelpText(
      "after",
      `
Examples:
  keel alerts show queue_backlog
  keel alerts show webhook_failing --format json --history 100

Exit codes: 0 shown; 1 unknown rule.`,
    )
    .action(
      action(async (rule: string, opts: { history: number }) => {
        const details = await call((c) =>
          c.call(ops.show, { params: { rule }, query: { history: opts.history } }),
        );
        if (global().format === "json") printJson(details);
        else printDetails(details);
        return ExitCode.ok;
      }),
    );

  alerts
    .command("silence")
    .description("queue no notification of a rule for a while (its state is still tracked)")
    .argument("<rule>", "rule id")
    .requiredOption("--for <duration>", "how long: 30m, 1h, 2d (at most 90d)")
    .requiredOption(
      "--reason <text>",
      "why (kept with the silence and in the audit log)",
      textFlag("--reason", "disk swap tonight, INC-42"),
    )
    .addHelpText(
      "after",
      `
Examples:
  keel alerts silence disk_warn --for 1h --reason "disk swap tonight, INC-42"

A second silence replaces the first. Changes of state while silenced are kept in the history but
notify nobody. Exit codes: 0 silenced; 1 unknown rule; 2 bad flags.`,
    )
    .action(
      action(async (rule: string, opts: { for: string; reason: string }) => {
        const s = await call((c) =>
          c.call(ops.silence, { params: { rule }, body: { for: opts.for, reason: opts.reason } }),
        );
        if (global().format === "json") printJson(s);
        else
          printFields([
            ["rule", s.rule],
            ["silenced until", s.until],
            ["reason", s.reason],
          ]);
        return ExitCode.ok;
      }),
    );

  alerts
    .command("unsilence")
    .description("end a rule's silence")
    .argument("<rule>", "rule id")
    .addHelpText(
      "after",
      `
Examples:
  keel alerts unsilence disk_warn

Exit codes: 0 done (also when the rule was not silenced); 1 unknown rule.`,
    )
    .action(
      action(async (rule: string) => {
        const r = await call((c) => c.call(ops.unsilence, { params: { rule } }));
        if (global().format === "json") printJson(r);
        else
          process.stdout.write(
            r.ended
              ? `${rule}: silence ended (it ran until ${r.ended.until})\n`
              : `${rule}: was not silenced\n`,
          );
        return ExitCode.ok;
      }),
    );

  alerts
    .command("test")
    .description("send a test notification of a rule to its receivers, through the real outbox")
    .argument("<rule>", "rule id: its severity and labels pick the receivers")
    .addHelpText(
      "after",
      `
Examples:
  keel alerts test queue_backlog
  keel alerts show queue_backlog      (the queues: whether it was delivered)

The notification is queued in the store and sent by the node that evaluates alerts, signed like a
real one, with "test": true and state "test". Exit codes: 0 queued; 1 unknown rule or no receiver
takes it.`,
    )
    .action(
      action(async (rule: string) => {
        const r = await call((c) => c.call(ops.test, { params: { rule } }));
        if (global().format === "json") printJson(r);
        else
          for (const d of r.deliveries)
            process.stdout.write(`queued for ${d.receiver}: delivery ${d.delivery_id}\n`);
        return ExitCode.ok;
      }),
    );
}

function row(a: AlertJson): Record<string, unknown> {
  return {
    rule: a.enabled ? a.rule : `${a.rule} (disabled)`,
    state: a.state,
    severity: a.severity,
    threshold: a.threshold,
    for: `${Math.round(a.for_ms / 1000)}s`,
    silenced: a.silence ? `until ${a.silence.until}` : null,
    summary: a.state === "inactive" ? null : a.summary,
  };
}

function printDetails(d: AlertDetailsJson): void {
  printFields([
    ["rule", d.rule],
    ["state", d.since ? `${d.state} since ${d.since}` : d.state],
    ["summary", d.summary],
    ["severity", d.severity],
    ["threshold", `${d.threshold} ${d.unit}`],
    ["for", `${d.for_ms / 1000}s`],
    [
      "silenced",
      d.silence ? `until ${d.silence.until} by ${d.silence.actor}: ${d.silence.reason}` : null,
    ],
    ["evaluator", d.evaluator ? d.evaluator.node : "none (no node holds the lease)"],
  ]);
  process.stdout.write("\nhistory:\n");
  printTable(
    d.history.map((e) => ({
      at: e.at,
      change: `${e.from} -> ${e.to}`,
      queued: e.queued,
      summary: e.summary,
    })),
    ["at", "change", "queued", "summary"],
  );
  if (d.queues.length > 0) {
    process.stdout.write("\noutbox:\n");
    printTable(
      d.queues.map((q) => ({
        receiver: q.receiver,
        queued: q.queued,
        attempts: q.oldest.attempts,
        next_try: q.oldest.next_at,
        last_error: q.oldest.last_error,
      })),
      ["receiver", "queued", "attempts", "next_try", "last_error"],
    );
  }
}
