import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { hostname } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import {
  judgeNode,
  ownProcessIdentity,
  processIdentity,
} from "../../src/engine/process-identity.js";

// Linux only: on another system the identity is null and judging falls back to host and pid
const linux = process.platform === "linux";
const own = { host: hostname(), process: ownProcessIdentity() };
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

function exitedPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  return child.pid as number;
}

/** a live child that idles until the test ends */
async function sleeper(): Promise<number> {
  const child = spawn("sleep", ["30"], { stdio: "ignore" });
  children.push(child);
  await new Promise((resolve) => child.once("spawn", resolve));
  return child.pid as number;
}

describe.runIf(linux)("a node's process, judged through /proc", () => {
  it("knows its own identity: boot id with pid namespace, and start ticks", () => {
    expect(own.process?.space).toMatch(/^[0-9a-f-]{36}\/pid:\[\d+\]$/);
    expect(own.process?.start).toBeGreaterThan(0);
    expect(processIdentity(process.pid)).toEqual(own.process);
  });

  it("judges a live process with its recorded identity alive", async () => {
    const pid = await sleeper();
    const node = { host: own.host, pid, process: processIdentity(pid) };
    expect(judgeNode(node, own)).toBe("alive");
  });

  it("judges an exited pid gone, with or without an identity", () => {
    const pid = exitedPid();
    expect(judgeNode({ host: own.host, pid, process: null }, own)).toBe("process_gone");
    expect(
      judgeNode({ host: own.host, pid, process: { space: own.process!.space, start: 1 } }, own),
    ).toBe("process_gone");
  });

  it("judges a live pid whose process started at another time reused", async () => {
    const pid = await sleeper();
    const identity = processIdentity(pid)!;
    const node = { host: own.host, pid, process: { ...identity, start: identity.start - 1 } };
    expect(judgeNode(node, own)).toBe("pid_reused");
  });

  it("judges a zombie (exited, not yet reaped by its parent) gone", async () => {
    // the short sleep exits once its parent became the long one (exec), which never reaps it
    const child = spawn("sh", ["-c", "sleep 0.1 & echo $!; exec sleep 30"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    children.push(child);
    const zombie = await new Promise<number>((resolve) =>
      child.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    await new Promise((r) => setTimeout(r, 600));
    expect(() => process.kill(zombie, 0)).not.toThrow();
    expect(judgeNode({ host: own.host, pid: zombie, process: null }, own)).toBe("process_gone");
  });

  it("leaves a node of another host identity to its heartbeat, even in the same pid space", () => {
    const pid = exitedPid();
    const node = { host: "host-id-b", pid, process: { space: own.process!.space, start: 1 } };
    expect(judgeNode(node, own)).toBe("elsewhere");
  });

  it("leaves a node of another pid space to its heartbeat, even on a host of the same name", () => {
    const node = {
      host: own.host,
      pid: exitedPid(),
      process: { space: "another-boot/pid:[1]", start: 5 },
    };
    expect(judgeNode(node, own)).toBe("elsewhere");
  });

  it("falls back to host name and pid where either side has no identity", () => {
    const pid = exitedPid();
    expect(judgeNode({ host: own.host, pid, process: null }, own)).toBe("process_gone");
    expect(judgeNode({ host: "other-host", pid, process: null }, own)).toBe("elsewhere");
    expect(judgeNode({ host: own.host, pid: process.pid, process: null }, own)).toBe("alive");
    const noProc = { host: own.host, process: null };
    expect(judgeNode({ host: own.host, pid, process: own.process }, noProc)).toBe("process_gone");
  });
});
