import { describe, expect, it } from "vitest";
import { keelCli, keelJson } from "./keel-cli.js";
import { startNode, useNodes } from "./node-process.js";
import { until, useHomes } from "../doctor/helpers.js";

/** `keel jobs cancel --filter` and `keel quarantine retry --filter`: dry run, confirmation, one audit entry. */
describe("bulk operator actions", () => {
  const newHome = useHomes();
  const nodes = useNodes();

  it("cancels exactly the runs a filter selects, refusing without a terminal above 10 runs", () => {
    const { home, config } = newHome();
    const submit = (pipeline: string) =>
      keelJson(home, ["submit", pipeline, "--input", "{}", "--config", config]).id as string;
    const targets = Array.from({ length: 12 }, () => submit("quick"));
    const others = [submit("slow"), submit("slow")];
    const args = [
      "jobs",
      "cancel",
      "--filter",
      "pipeline=quick",
      "--reason",
      "bad deploy",
      "--config",
      config,
    ];

    const listed = keelJson(home, [
      "jobs",
      "cancel",
      "--filter",
      "pipeline=quick",
      "--reason",
      "bad deploy",
      "--dry-run",
      "--config",
      config,
    ]);
    expect(listed).toMatchObject({ dry_run: true, count: 12, done: [] });
    expect([...listed.ids].sort()).toEqual([...targets].sort());

    const refused = keelCli(home, args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /refusing to cancel 12 runs without a terminal to confirm: add --yes/,
    );
    expect(
      keelJson(home, ["jobs", "list", "--status", "pending", "--config", config]).runs,
    ).toHaveLength(14);

    const done = keelJson(home, [
      "jobs",
      "cancel",
      "--filter",
      "pipeline=quick",
      "--reason",
      "bad deploy",
      "--yes",
      "--config",
      config,
    ]);
    expect(done).toMatchObject({ dry_run: false, count: 12, failed: [] });
    expect([...done.done].sort()).toEqual([...targets].sort());
    const pending = keelJson(home, [
      "jobs",
      "list",
      "--status",
      "pending",
      "--config",
      config,
    ]).runs;
    expect(pending.map((r: { id: string }) => r.id).sort()).toEqual([...others].sort());

    const audit = keelJson(home, ["audit", "list", "--config", config]);
    const entries = (audit.entries ?? audit) as { action: string; details: { ids: string[] } }[];
    expect(entries.filter((e) => e.action.startsWith("run"))).toHaveLength(1);
    const bulk = entries.find((e) => e.action === "runs.cancel_bulk")!;
    expect([...bulk.details.ids].sort()).toEqual([...targets].sort());
  }, 120_000);

  it("retries the quarantined runs of one error code through a running node's API", async () => {
    const { home, config } = newHome();
    const node = startNode(home, config);
    nodes.push(node);
    await node.ready;
    const ids = [0, 1, 2].map(
      () => keelJson(home, ["submit", "broken", "--input", "{}", "--config", config]).id as string,
    );
    await until(() => keelJson(home, ["quarantine", "list", "--config", config]).runs.length === 3);
    const args = [
      "quarantine",
      "retry",
      "--filter",
      "code=parse_error,step=parse",
      "--note",
      "parser fixed",
      "--config",
      config,
    ];
    const listed = keelJson(home, [
      "quarantine",
      "retry",
      "--filter",
      "code=parse_error,step=parse",
      "--note",
      "parser fixed",
      "--dry-run",
      "--config",
      config,
    ]);
    expect([...listed.ids].sort()).toEqual([...ids].sort());
    const done = keelJson(home, args);
    expect([...done.done].sort()).toEqual([...ids].sort());
    const audit = keelJson(home, ["audit", "list", "--config", config]);
    const entries = (audit.entries ?? audit) as { action: string; actor: string }[];
    expect(entries.filter((e) => e.action === "quarantine.retry_bulk")).toHaveLength(1);
    expect(entries.filter((e) => e.action === "run.retry")).toHaveLength(0);
    expect(
      keelCli(home, [
        "quarantine",
        "retry",
        "--filter",
        "code=nope",
        "--note",
        "x",
        "--config",
        config,
      ]).stdout,
    ).toMatch(/would retry 0 run/);
  }, 120_000);
});
