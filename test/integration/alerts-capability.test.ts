import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { doctorFixture } from "../doctor/helpers.js";
import { cliEnv, keelJson } from "./keel-cli.js";
import { keelBin, startNode, useNodes, writeConfig } from "./node-process.js";
import { WebhookReceiver } from "./webhook-receiver.js";

/**
 * capability_unserved for real: a `keel start` node that offers no capability, a run whose step
 * requires "gpu", and a real receiver. The rule fires once the run has waited past its `for:`,
 * and resolves when a second node offering gpu joins the store and runs it.
 */
const run = promisify(execFile);
const secret = "capability-hook-secret";
const homes: string[] = [];
const nodes = useNodes();

afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), "keel-alerts-cap-"));
  homes.push(home);
  return home;
}

const alertsConfig = (url: string) => `alerts:
  interval_ms: 200
  lease_ms: 2500
  delivery:
    base_delay_ms: 100
    max_delay_ms: 400
    drain_ms: 100
  rules:
    capability_unserved: { for: 1500 }
  receivers:
    ops:
      url: ${url}
      secret_env: HOOK_SECRET
      timeout_ms: 1000
`;

interface Shown {
  state: string;
  summary: string | null;
  labels: Record<string, string>;
  history: { from: string; to: string; at: string }[];
}

describe("capability_unserved", () => {
  it("fires for a run waiting past for: on a capability no node offers; resolves when one joins", async () => {
    const receiver = new WebhookReceiver(secret);
    await receiver.up();
    const [homeA, homeB] = [newHome(), newHome()];
    const store = join(homeA, "keel.db");
    const env = { KEEL_SERVER_PORT: "0", KEEL_STORE: store, HOOK_SECRET: secret };
    const start = async (home: string, extra: Record<string, string> = {}) => {
      const config = writeConfig(home, [doctorFixture], alertsConfig(receiver.url));
      const node = startNode(home, config, { ...env, ...extra });
      nodes.push(node);
      await node.ready;
      return config;
    };
    // asynchronous: the receiver answers from this process, whose event loop must keep turning
    const show = async (): Promise<Shown> => {
      const args = ["--home", homeA, "alerts", "show", "capability_unserved", "--format", "json"];
      const { stdout } = await run(process.execPath, [keelBin, ...args], {
        env: cliEnv({ KEEL_STORE: store }),
        cwd: homeA,
      });
      return JSON.parse(stdout) as Shown;
    };
    const waitFor = async (what: string, done: (s: Shown) => boolean): Promise<Shown> => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const s = await show();
        if (done(s)) return s;
        if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(s)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };

    const configA = await start(homeA);
    const id = keelJson(homeA, ["submit", "render", "--input", "{}", "--config", configA], {
      KEEL_STORE: store,
    }).id as string;
    const firing = await waitFor("the rule firing", (s) => s.state === "firing");
    expect(firing.summary).toMatch(
      /^1 run\(s\) wait for gpu, which no live node offers \(the oldest due [\d.]+ s ago\): start one with `keel start --capabilities gpu`, or cancel them$/,
    );
    expect(firing.labels).toMatchObject({ capability: "gpu", rule: "capability_unserved" });
    // it waited out its for: as pending first
    const [fired, pending] = firing.history;
    expect([pending?.to, fired?.to]).toEqual(["pending", "firing"]);
    expect(Date.parse(fired!.at) - Date.parse(pending!.at)).toBeGreaterThanOrEqual(1500);

    await start(homeB, { KEEL_NODE_CAPABILITIES: "gpu" });
    const resolved = await waitFor("the rule resolved", (s) => s.state === "resolved");
    expect(resolved.history.map((e) => e.to)).toEqual(["resolved", "firing", "pending"]);
    const done = keelJson(homeA, ["jobs", "show", id], { KEEL_STORE: store });
    expect(done.status).toBe("succeeded");
    const deadline = Date.now() + 20_000;
    const notified = () =>
      receiver.received
        .filter((r) => r.json.rule === "capability_unserved" && r.answered === 204)
        .map((r) => r.json.state);
    while (notified().length < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(notified()).toEqual(["firing", "resolved"]);
    await receiver.down();
  }, 180_000);
});
