import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { keelCli } from "./keel-cli.js";
import { keelBin } from "./node-process.js";

/** `keel demo --serve` (what `npm start` runs) and `keel console`, as real processes. */
const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function freshHome(): string {
  const home = mkdtempSync(join(tmpdir(), "keel-cli-console-"));
  homes.push(home);
  return home;
}

describe("keel console", () => {
  it("says no node runs, and how to start one, instead of a link that cannot work", () => {
    const result = keelCli(freshHome(), ["console"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/no node runs for this home: start one with `keel start`/);
  });
});

describe("keel demo --serve", () => {
  it("serves the console with a one-time login link, runs the demo, and stops on Ctrl-C", async () => {
    const home = freshHome();
    const child = spawn(process.execPath, [keelBin, "demo", "--serve", "--home", home], {
      env: { ...process.env, KEEL_SERVER_PORT: "0", KEEL_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      for (let i = 0; i < 600 && !/Ctrl-C to stop/.test(out); i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(out).toMatch(/console: http:\/\/127\.0\.0\.1:\d+\//);
      const login = /valid 15 minutes\): (http\S+#\/login\?code=(\S+))/.exec(out);
      expect(login, out).not.toBeNull();
      const base = login![1]!.replace(/\/#.*$/, "");
      // the page, then the code traded once for a token of the browser's own
      const page = await fetch(`${base}/`);
      expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
      expect(await page.text()).toContain('<div id="app">');
      const trade = (): Promise<Response> =>
        fetch(`${base}/v1/console/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ code: decodeURIComponent(login![2]!) }),
        });
      const first = await trade();
      expect(first.status).toBe(201);
      const { token } = (await first.json()) as { token: string };
      const runs = await fetch(`${base}/v1/runs`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(((await runs.json()) as { runs: unknown[] }).runs.length).toBeGreaterThan(0);
      expect((await trade()).status).toBe(401);
      // while it serves, `keel console` on the same home hands out a new link
      const cli = keelCli(home, ["console", "--format", "json"]);
      expect(cli.code, cli.stderr).toBe(0);
      expect(JSON.parse(cli.stdout)).toMatchObject({ console: `${base}/` });
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(existsSync(join(home, "keel.pid"))).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 90_000);
});
