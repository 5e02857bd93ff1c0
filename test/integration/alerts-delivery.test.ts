import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { cliEnv, keelCli } from "./keel-cli.js";
import { keelBin, startNode, useNodes, writeConfig, type NodeProcess } from "./node-process.js";
import { WebhookReceiver, fastAlertsConfig } from "./webhook-receiver.js";

/**
 * Alerts end to end, with two real `keel start` nodes on one store and a real HTTP receiver that
 * is down, then slow past the timeout, then answers 500, then comes back; the node that evaluates
 * is SIGKILLed in the middle. The other node takes the evaluator's lease over, the outbox survives
 * in the store, and the receiver ends up with the firing and the resolved notification, in that
 * order, each signed; a delivery id may repeat (at-least-once: a slow answer came after the
 * timeout) but no state is notified under two ids.
 */
const run = promisify(execFile);
const fixture = fileURLToPath(new URL("./fixtures/counted-pipelines.mjs", import.meta.url));
const secret = "hook-secret-for-tests";
const homes: string[] = [];
const nodes = useNodes();

afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), "keel-alerts-"));
  homes.push(home);
  return home;
}

async function waitFor<T>(
  what: string,
  read: () => Promise<T | undefined | false>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function nodeIdOf(node: NodeProcess): string {
  const id = /keel node (\S+) running/.exec(node.output())?.[1];
  if (!id) throw new Error(`no node id in: ${node.output()}`);
  return id;
}

describe("alerts delivered through the outbox", () => {
  it("survives a receiver down, slow and failing, and the evaluator's SIGKILL: delivered in order", async () => {
    const receiver = new WebhookReceiver(secret, 2500);
    await receiver.up();
    await receiver.down(); // the port is known, nothing listens: connection refused
    const [homeA, homeB] = [newHome(), newHome()];
    const store = join(homeA, "keel.db");
    const env = { KEEL_SERVER_PORT: "0", KEEL_STORE: store, HOOK_SECRET: secret };
    const start = async (home: string) => {
      const node = startNode(
        home,
        writeConfig(home, [fixture], fastAlertsConfig(receiver.url)),
        env,
      );
      nodes.push(node);
      await node.ready;
      return node;
    };
    const a = await start(homeA);
    const b = await start(homeB);
    const byId = new Map([
      [nodeIdOf(a), { node: a, home: homeA }],
      [nodeIdOf(b), { node: b, home: homeB }],
    ]);
    // asynchronous: the receiver answers from this process, whose event loop must keep turning
    const show = async (home: string) => {
      const { stdout } = await run(
        process.execPath,
        [keelBin, "--home", home, "alerts", "show", "emergency_stop", "--format", "json"],
        { env: cliEnv({ KEEL_STORE: store }), cwd: home },
      );
      return JSON.parse(stdout);
    };

    expect(
      keelCli(homeA, ["emergency", "on", "--reason", "alert test"], { KEEL_STORE: store }).code,
    ).toBe(0);
    const failing = await waitFor("a failed attempt while the receiver is down", async () => {
      const s = await show(homeA);
      return s.state === "firing" && s.queues[0]?.oldest.attempts >= 2 && s;
    });
    expect(failing.queues[0].oldest.last_error).toMatch(/ECONNREFUSED/);
    const evaluator = byId.get(failing.evaluator.node);
    expect(evaluator).toBeDefined();
    const survivor = [...byId.values()].find((n) => n !== evaluator)!;

    evaluator!.node.child.kill("SIGKILL");
    await evaluator!.node.exited;
    await receiver.up("slow");
    const slow = await waitFor("the survivor evaluating, its attempts timing out", async () => {
      const s = await show(survivor.home);
      return (
        s.evaluator?.node === nodeIdOf(survivor.node) &&
        /no answer within 1000 ms/.test(s.queues[0]?.oldest.last_error ?? "") &&
        s
      );
    });
    expect(slow.state, JSON.stringify(slow)).toBe("firing");

    receiver.mode = "error";
    await waitFor(
      "an HTTP 500",
      async () => (await show(survivor.home)).queues[0]?.oldest.last_error === "HTTP 500",
    );
    expect(keelCli(survivor.home, ["emergency", "off"], { KEEL_STORE: store }).code).toBe(0);
    let seen: unknown;
    await waitFor("the rule resolved, its notification queued behind", async () => {
      const s = await show(survivor.home);
      seen = s;
      return s.state === "resolved" && s.queues[0]?.queued === 2;
    }).catch((e: Error) => {
      throw new Error(
        `${e.message} ${JSON.stringify(seen)} ${survivor.node.output().slice(-2000)}`,
      );
    });

    receiver.mode = "ok";
    await waitFor(
      "the outbox drained",
      async () => (await show(survivor.home)).queues.length === 0,
    );
    // webhook_failing fired meanwhile (not to the receiver that failed) and resolved once it answered
    const ours = receiver.received.filter((r) => r.json.rule === "emergency_stop");
    const states = ours.map((r) => r.json.state);
    // in order: the resolved notification went out only once the firing one was acknowledged
    expect(states.lastIndexOf("firing")).toBeLessThan(states.indexOf("resolved"));
    const acknowledged = new Map(
      ours.filter((r) => r.answered === 204).map((r) => [r.delivery, r.json.state]),
    );
    expect([...acknowledged.values()]).toEqual(["firing", "resolved"]);
    expect(receiver.received.every((r) => r.signed)).toBe(true);
    // at-least-once: a repeat (an answer that came after the timeout) carries the id already sent
    expect(new Set(ours.map((r) => r.delivery)).size).toBe(2);
    for (const r of receiver.received) expect(r.json.delivery_id).toBe(r.delivery);
    expect(
      receiver.received.some((r) => r.json.rule === "webhook_failing" && r.json.state === "firing"),
    ).toBe(false);

    // the history keeps each change once, whichever node recorded it
    const history = (await show(survivor.home)).history.map((e: { to: string }) => e.to);
    expect(history).toEqual(["resolved", "firing"]);
    await receiver.down();
  }, 180_000);
});
