import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { cliEnv } from "../integration/keel-cli.js";
import { keelBin, startNode, useNodes } from "../integration/node-process.js";
import { WebhookReceiver, fastAlertsConfig } from "../integration/webhook-receiver.js";
import { findingOf, useHomes, type DoctorJson } from "./helpers.js";

const run = promisify(execFile);
const secret = "doctor-hook-secret";

describe("doctor: deliveries", () => {
  const newHome = useHomes();
  const nodes = useNodes();

  it("finds a receiver answering 500: how many wait, the last error, the oldest's age", async () => {
    const receiver = new WebhookReceiver(secret);
    await receiver.up("error");
    try {
      const { home, config } = newHome(fastAlertsConfig(receiver.url));
      const env = { HOOK_SECRET: secret };
      const node = startNode(home, config, env);
      nodes.push(node);
      await node.ready;
      // asynchronous: the receiver answers from this process, whose event loop must keep turning
      const keel = async (...args: string[]) =>
        run(process.execPath, [keelBin, "--home", home, ...args, "--config", config], {
          env: cliEnv(env),
          cwd: home,
        }).then(
          (r) => ({ code: 0, stdout: r.stdout }),
          (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
        );
      const doctor = async () => {
        const r = await keel("doctor", "--only", "deliveries", "--format", "json");
        return { code: r.code, report: JSON.parse(r.stdout) as DoctorJson };
      };

      expect((await doctor()).code).toBe(0);
      expect((await keel("emergency", "on", "--reason", "receiver test")).code).toBe(0);
      let seen: DoctorJson | undefined;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const { code, report } = await doctor();
        seen = report;
        if (code === 1 && (report.findings[0]?.evidence.attempts as number) >= 2) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const f = findingOf(seen!, "deliveries");
      expect(f.severity).toBe("warning");
      expect(f.summary).toMatch(
        /^receiver ops: its oldest delivery failed \d+ time\(s\) \(HTTP 500\); 1 delivery\(ies\) wait, the oldest queued \d+\.\d s ago$/,
      );
      expect(f.evidence).toMatchObject({
        receiver: "ops",
        queued: 1,
        last_error: "HTTP 500",
        oldest: { rule: "emergency_stop" },
      });
      expect(f.evidence.oldest_age_ms as number).toBeGreaterThan(0);
      expect(f.commands).toEqual([
        `keel alerts show emergency_stop --home ${home}`,
        "# check receiver ops (alerts.receivers.ops in keel.yaml): is it up, does it answer a POST with 2xx, does it have the secret",
        `keel health check alerts --home ${home}`,
      ]);
      const shown = await keel("alerts", "show", "emergency_stop");
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/HTTP 500/);
      expect(receiver.received.filter((r) => r.answered === 500).length).toBeGreaterThanOrEqual(2);

      // the receiver fixed: the retries deliver, and the finding goes
      receiver.mode = "ok";
      const fixedBy = Date.now() + 30_000;
      while ((await doctor()).code !== 0 && Date.now() < fixedBy)
        await new Promise((r) => setTimeout(r, 200));
      expect((await doctor()).code).toBe(0);
      expect(receiver.received.some((r) => r.answered === 204)).toBe(true);
    } finally {
      await receiver.down();
    }
  }, 120_000);
});
