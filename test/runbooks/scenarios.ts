// The faults the runbook pages are run against, each injected for real: a node with a dependency
// that stopped answering, a full tmpfs, a SIGKILLed node, bytes over the store's header, runs
// quarantined by a bug, CPU hogs. A page names its scenario; the runner sets it up, clears the
// fault where the page says so (<!-- runbook: clear-fault -->), and stops everything after.
import { spawn, type ChildProcess } from "node:child_process";
import {
  copyFileSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
  closeSync,
} from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fillUntil, mountTmpfs, usedPercent } from "../chaos/helpers.js";
import { doctorFixture, until } from "../doctor/helpers.js";
import { keelCli, keelJson } from "../integration/keel-cli.js";
import { startNode, writeConfig, type NodeProcess } from "../integration/node-process.js";

export interface Scenario {
  home: string;
  /** the environment the page's commands run in (KEEL_HOME, KEEL_CONFIG and the scenario's own) */
  env: Record<string, string>;
  clearFault(): Promise<void>;
  cleanup(): Promise<void>;
  /** why the scenario cannot run on this machine (no tmpfs without root), or null */
  skip: string | null;
}

interface Base {
  home: string;
  config: string;
  env: Record<string, string>;
  nodes: NodeProcess[];
  extra: (() => void)[];
}

function base(extraConfig = "", home = mkdtempSync(join(tmpdir(), "keel-runbook-"))): Base {
  const config = writeConfig(home, [doctorFixture], extraConfig);
  return { home, config, env: { KEEL_HOME: home, KEEL_CONFIG: config }, nodes: [], extra: [] };
}

function node(b: Base, env: Record<string, string> = {}): NodeProcess {
  const n = startNode(b.home, b.config, env);
  b.nodes.push(n);
  return n;
}

const cli = (b: Base, ...args: string[]) => keelCli(b.home, [...args, "--config", b.config]);
const submit = (b: Base, pipeline: string) =>
  keelJson(b.home, ["submit", pipeline, "--input", "{}", "--config", b.config]).id as string;

function finish(b: Base, skip: string | null = null, clearFault = async () => {}): Scenario {
  return {
    home: b.home,
    env: b.env,
    skip,
    clearFault,
    async cleanup() {
      for (const n of b.nodes) if (n.child.exitCode === null) n.child.kill("SIGKILL");
      // a node the page started in the background (`keel start`)
      killPidfile(b.home);
      for (const undo of b.extra) undo();
      rmSync(b.home, { recursive: true, force: true });
    },
  };
}

function killPidfile(home: string): void {
  try {
    process.kill(Number(readFileSync(join(home, "keel.pid"), "utf8").trim()), "SIGKILL");
  } catch {
    // no node left
  }
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export const scenarios: Record<string, () => Promise<Scenario>> = {
  async "work-stuck"() {
    const b = base();
    await node(b).ready;
    cli(b, "emergency", "on", "--reason", "storage migration");
    for (let i = 0; i < 3; i++) submit(b, "quick");
    return finish(b);
  },

  async "dependency-down"() {
    const port = await closedPort();
    const b = base(
      "breakers:\n  dep-api:\n    failure_threshold: 2\n    recovery_timeout_ms: 600000\nretry:\n  max_attempts: 50\n  base_delay_ms: 10\n  max_delay_ms: 20\n",
    );
    await node(b, { KEEL_TEST_DEP_URL: `http://127.0.0.1:${port}/` }).ready;
    for (let i = 0; i < 3; i++) submit(b, "call-dep");
    await until(() => /open/.test(cli(b, "breakers", "list").stdout));
    // the dependency is a process of its own: the runner blocks its own event loop while a
    // page's command runs, and a server in it would not answer meanwhile
    let server: ChildProcess | undefined;
    b.extra.push(() => void server?.kill("SIGKILL"));
    return finish(b, null, async () => {
      const code = `require("http").createServer((q, s) => s.end("ok")).listen(${port}, "127.0.0.1", () => console.log("up"))`;
      server = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "ignore"] });
      await new Promise<void>((resolve) => server!.stdout!.once("data", () => resolve()));
    });
  },

  async "disk-full"() {
    const fs = mountTmpfs("4m");
    if (!fs.mounted) return { ...finish(base()), skip: `no tmpfs: ${fs.error}` };
    const b = base("", fs.dir);
    b.extra.push(() => fs.remove());
    submit(b, "quick");
    const filler = join(fs.dir, "export-2026-12-07.tar");
    fillUntil(filler, () => usedPercent(fs.dir) >= 95);
    return finish(b, null, async () => rmSync(filler));
  },

  async "node-lost"() {
    const b = base("doctor:\n  heartbeat_max_age_ms: 1000\n");
    const n = node(b);
    await n.ready;
    submit(b, "slow");
    await until(() => /running/.test(cli(b, "jobs", "list", "--status", "running").stdout));
    n.child.kill("SIGKILL");
    await n.exited;
    await new Promise((r) => setTimeout(r, 1500));
    return finish(b);
  },

  async "store-corrupted"() {
    const b = base();
    for (let i = 0; i < 3; i++) submit(b, "quick");
    cli(b, "db", "backup");
    const store = join(b.home, "keel.db");
    for (const suffix of ["-wal", "-shm"]) rmSync(store + suffix, { force: true });
    const fd = openSync(store, "r+");
    writeSync(fd, Buffer.alloc(100, 0xab), 0, 100, 0);
    closeSync(fd);
    return finish(b);
  },

  async "quarantine-filling"() {
    const b = base("doctor:\n  quarantine_burst: 3\n");
    const flag = join(b.home, "parser-bug");
    writeFileSync(flag, "");
    await node(b, { KEEL_TEST_BROKEN: flag }).ready;
    for (let i = 0; i < 4; i++) submit(b, "broken");
    await until(
      () =>
        (keelJson(b.home, ["quarantine", "list", "--config", b.config]).runs as unknown[])
          .length === 4,
    );
    return finish(b, null, async () => rmSync(flag));
  },

  async "bad-deploy"() {
    const b = base();
    const flag = join(b.home, "parser-bug");
    writeFileSync(flag, "");
    b.env.KEEL_TEST_BROKEN = flag;
    await node(b, { KEEL_TEST_BROKEN: flag }).ready;
    for (let i = 0; i < 2; i++) submit(b, "broken");
    await until(
      () =>
        (keelJson(b.home, ["quarantine", "list", "--config", b.config]).runs as unknown[])
          .length === 2,
    );
    return finish(b, null, async () => rmSync(flag));
  },

  async "restore-new-machine"() {
    const old = base();
    for (let i = 0; i < 3; i++) submit(old, "quick");
    const backup = keelJson(old.home, ["db", "backup", "--config", old.config]).file as string;
    // the backup, carried to the new machine; the old home is gone
    const b = base();
    const carried = join(b.home, "..", `${b.home.split("/").pop()}-carried.db`);
    copyFileSync(backup, carried);
    rmSync(old.home, { recursive: true, force: true });
    b.env.KEEL_BACKUP = carried;
    b.extra.push(() => rmSync(carried, { force: true }));
    return finish(b);
  },

  async "cpu-starved"() {
    const b = base();
    await node(b).ready;
    const hogs: ChildProcess[] = [];
    for (let i = 0; i < 1; i++)
      hogs.push(spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" }));
    b.extra.push(() => hogs.forEach((h) => h.kill("SIGKILL")));
    for (let i = 0; i < 5; i++) submit(b, "quick");
    return finish(b, null, async () => hogs.forEach((h) => h.kill("SIGKILL")));
  },
};
