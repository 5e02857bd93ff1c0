import { describe, expect, it } from "vitest";
import { keelCli, keelJson } from "../integration/keel-cli.js";
import { startNode, useNodes } from "../integration/node-process.js";
import { doctor, findingOf, runFixCommand, until, useHomes } from "./helpers.js";

/** quarantine, retries and overdue-running: conditions a real node's runs make */
describe("doctor: runs", () => {
  const newHome = useHomes();
  const nodes = useNodes();

  async function nodeOn(extra: string) {
    const made = newHome(`${extra}telemetry:\n  flush_ms: 100\n`);
    const node = startNode(made.home, made.config);
    nodes.push(node);
    await node.ready;
    return made;
  }

  const submit = (home: string, config: string, pipeline: string) =>
    keelJson(home, ["submit", pipeline, "--input", "{}", "--config", config]).id as string;

  it("quarantine: a burst for one reason, with the error they share", async () => {
    const { home, config } = await nodeOn("doctor:\n  quarantine_burst: 3\n");
    const ids = [0, 1, 2].map(() => submit(home, config, "broken"));
    await until(() => doctor(home, config, ["--only", "quarantine"]).code === 1);
    const f = findingOf(doctor(home, config, ["--only", "quarantine"]).report, "quarantine");
    expect(f.summary).toBe(
      "3 run(s) quarantined in the last hour with reason permanent:parse_error; 3 of them failed with parse_error: unexpected token at line 1",
    );
    expect((f.evidence.run_ids as string[]).sort()).toEqual([...ids].sort());
    expect(f.commands[0]).toBe(
      `keel quarantine list --reason permanent:parse_error --home ${home}`,
    );
    expect(runFixCommand(f.commands[0]!, config).code).toBe(0);
  }, 60_000);

  it("retries: one step's failed attempts climbing, with the top error code", async () => {
    const { home, config } = await nodeOn("doctor:\n  retry_burst: 4\n");
    submit(home, config, "flaky");
    submit(home, config, "flaky");
    await until(() => doctor(home, config, ["--only", "retries"]).code === 1);
    const f = findingOf(doctor(home, config, ["--only", "retries"]).report, "retries");
    expect(f.summary).toMatch(
      /^step upload of flaky failed \d+ time\(s\) in the last hour \(0 the hour before\), mostly econnreset$/,
    );
    expect(f.evidence.last_hour as number).toBeGreaterThanOrEqual(4);
    expect(runFixCommand(f.commands[0]!, config).code).toBe(0);
  }, 60_000);

  it("overdue-running: a run past running_max_age_ms, and its cancel command works", async () => {
    const { home, config } = await nodeOn("doctor:\n  running_max_age_ms: 1000\n");
    const id = submit(home, config, "slow");
    await until(() => doctor(home, config, ["--only", "overdue-running"]).code === 1);
    const f = findingOf(
      doctor(home, config, ["--only", "overdue-running"]).report,
      "overdue-running",
    );
    expect(f.summary).toMatch(
      new RegExp(`^1 run\\(s\\) have been running for over 1\\.0 s \\(oldest: ${id}, `),
    );
    expect(f.commands[1]).toBe(`keel jobs cancel ${id} --reason "over its SLO" --home ${home}`);
    expect(runFixCommand(f.commands[1]!, config).code).toBe(0);
    expect(doctor(home, config, ["--only", "overdue-running"]).code).toBe(0);
    expect(keelCli(home, ["jobs", "show", id, "--config", config]).stdout).toMatch(/cancelled/);
  }, 60_000);
});
