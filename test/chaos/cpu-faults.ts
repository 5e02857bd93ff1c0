// CPU faults made real for the chaos tests: hogs that keep every core busy (stress-ng when it is
// installed, else busy-looping node processes), and a cgroup with a CPU quota for the node.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";

export interface Hogs {
  kind: "stress-ng" | "busy loops";
  stop(): Promise<void>;
}

/** `count` processes that burn a core each until stopped. */
export function startHogs(count: number = availableParallelism() * 2): Hogs {
  const stressNg = spawnSync("which", ["stress-ng"]).status === 0;
  const children: ChildProcess[] = stressNg
    ? [
        spawn("stress-ng", ["--cpu", String(count), "--quiet", "--timeout", "120s"], {
          detached: true,
          stdio: "ignore",
        }),
      ]
    : Array.from({ length: count }, () =>
        spawn(process.execPath, ["-e", "for (;;) {}"], { detached: true, stdio: "ignore" }),
      );
  return {
    kind: stressNg ? "stress-ng" : "busy loops",
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once("exit", () => resolve());
              // the whole group: stress-ng's workers are its children
              process.kill(-(child.pid as number), "SIGKILL");
            }),
        ),
      );
    },
  };
}

export interface CpuCgroup {
  version: "v1" | "v2";
  dir: string;
  /** the file a process joins the cgroup through */
  procs: string;
  /** the cpu.stat the node inside reads */
  stat: string;
  /** limit the cgroup to `cpus` CPUs' worth of time (0.2 = a fifth of one), or lift the limit */
  quota(cpus: number | null): void;
  /** removes the cgroup (its processes must have exited) */
  remove(): void;
}

/** A fresh cgroup with the cpu controller (v2 or v1), or why this machine does not allow one. */
export function makeCpuCgroup(name: string): CpuCgroup | { error: string } {
  const v2root = "/sys/fs/cgroup";
  const v1root = ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"].find((d) =>
    existsSync(join(d, "cpu.cfs_quota_us")),
  );
  try {
    if (readOr(join(v2root, "cgroup.controllers")).split(/\s+/).includes("cpu")) {
      writeFileSync(join(v2root, "cgroup.subtree_control"), "+cpu");
      const dir = join(v2root, name);
      mkdirSync(dir);
      return cgroup("v2", dir, (q) =>
        writeFileSync(
          join(dir, "cpu.max"),
          q === null ? "max 100000" : `${Math.round(q * 100_000)} 100000`,
        ),
      );
    }
    if (v1root) {
      const dir = join(v1root, name);
      mkdirSync(dir);
      writeFileSync(join(dir, "cpu.cfs_period_us"), "100000");
      return cgroup("v1", dir, (q) =>
        writeFileSync(
          join(dir, "cpu.cfs_quota_us"),
          q === null ? "-1" : String(Math.round(q * 100_000)),
        ),
      );
    }
    return {
      error: "no cgroup v2 cpu controller and no cgroup v1 cpu hierarchy under /sys/fs/cgroup",
    };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function cgroup(
  version: "v1" | "v2",
  dir: string,
  quota: (cpus: number | null) => void,
): CpuCgroup {
  return {
    version,
    dir,
    procs: join(dir, "cgroup.procs"),
    stat: join(dir, "cpu.stat"),
    quota,
    remove: () => rmdirSync(dir),
  };
}

function readOr(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}
