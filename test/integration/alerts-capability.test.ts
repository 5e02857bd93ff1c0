import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { useHomes } from "../doctor/helpers.js";
import { cliEnv, keelJson } from "./keel-cli.js";
import { keelBin, startNode, useNodes } from "./node-process.js";
import { WebhookReceiver, fastAlertsConfig } from "./webhook-receiver.js";

/**
 * capability_unserved for real: a `keel start` node that offers no capability, a run whose step
 * requires "gpu", and a real receiver. The rule fires once the run has waited past its `for:`,
 * and resolves when a second node offering gpu joins the store and runs it.
 */
const run = promisify(execFile);
const secret = "capability-hook-secret";
const newHome = useHomes();
const nodes = useNodes();

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
    const config = fastAlertsConfig(receiver.url, "    capability_unserved: { for: 1500 }\n");
    const [a, b] = [newHome(config), newHome(config)];
    const homeA = a.home;
    const store = join(homeA, "keel.db");
    const env = { KEEL_SERVER_PORT: "0", KEEL_STORE: store, HOOK_SECRET: secret };
    const start = async (home: { home: string; config: string }, extra = {}) => {
      const node = startNode(home.home, home.config, { ...env, ...extra });
      nodes.push(node);
      await node.ready;
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

    await start(a);
    const id = keelJson(homeA, ["submit", "render", "--input", "{}", "--config", a.config], {
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

    await start(b, { KEEL_NODE_CAPABILITIES: "gpu" });
    const resolved = await waitFor("the rule resolved", (s) => s.state === "resolved");
    expect(resolved.history.map((e) => e.to)).toEqual(["resolved", "firing", "pending"]);
    const done = keelJson(homeA, ["jobs", "show", id, "--config", a.config], { KEEL_STORE: store });
    expect(done.status).toBe("succeeded");
    const deadline = Date.now() + 20_000;
    // at least once: under load an answer may come after the timeout and the same id is sent again
    const notified = () => [
      ...new Map(
        receiver.received
          .filter((r) => r.json.rule === "capability_unserved" && r.answered === 204)
          .map((r) => [r.delivery, r.json.state]),
      ).values(),
    ];
    while (notified().length < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(notified()).toEqual(["firing", "resolved"]);
    await receiver.down();
  }, 180_000);
});
