import { readFileSync } from "node:fs";

/**
 * CPU throttling of this process's cgroup, from its `cpu.stat`: cgroup v2 (`nr_periods`,
 * `nr_throttled`, `throttled_usec`) or v1 (`throttled_time` in ns, under the `cpu` or
 * `cpu,cpuacct` hierarchy). The file is found from /proc/self/cgroup, so a node moved into a
 * cgroup with a CPU quota reads its own; where no cpu.stat with throttling counters exists (no
 * cgroups, no cpu controller, not Linux) the signal is simply absent.
 */
export interface CpuStat {
  periods: number;
  throttled: number;
  throttledMs: number;
}

export function parseCpuStat(text: string): CpuStat | null {
  const fields = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) fields.set(key, Number(value));
  }
  const periods = fields.get("nr_periods");
  const throttled = fields.get("nr_throttled");
  if (periods === undefined || throttled === undefined) return null;
  const usec = fields.get("throttled_usec");
  const ns = fields.get("throttled_time");
  const throttledMs = usec !== undefined ? usec / 1000 : ns !== undefined ? ns / 1e6 : 0;
  return { periods, throttled, throttledMs };
}

/** cpu.stat files that may hold this process's counters, most specific first. */
export function cpuStatCandidates(procSelfCgroup: string, root = "/sys/fs/cgroup"): string[] {
  const out: string[] = [];
  for (const line of procSelfCgroup.split("\n")) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, controllers = "", path = "/"] = match;
    const rel = path === "/" ? "" : path;
    if (controllers === "") out.push(`${root}${rel}/cpu.stat`, `${root}/unified${rel}/cpu.stat`);
    else if (controllers.split(",").includes("cpu"))
      out.push(
        `${root}/${controllers}${rel}/cpu.stat`,
        `${root}/cpu${rel}/cpu.stat`,
        `${root}/cpu,cpuacct${rel}/cpu.stat`,
      );
  }
  out.push(`${root}/cpu.stat`, `${root}/cpu,cpuacct/cpu.stat`, `${root}/cpu/cpu.stat`);
  return [...new Set(out)];
}

/** The first candidate that exists and has throttling counters, or null. */
export function findCpuStat(): string | null {
  let self = "";
  try {
    self = readFileSync("/proc/self/cgroup", "utf8");
  } catch {
    // not Linux, or no procfs: only the fixed paths are tried
  }
  for (const file of cpuStatCandidates(self)) if (readCpuStat(file)) return file;
  return null;
}

export function readCpuStat(file: string): CpuStat | null {
  try {
    return parseCpuStat(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

/**
 * The share of CFS periods in which the cgroup hit its quota, over the last `windowMs` of readings
 * (a period is 100 ms by default, so a shorter window has too few to say anything). Null until
 * the window holds at least `minPeriods` periods with work in them.
 */
export class ThrottleWindow {
  private readings: { at: number; stat: CpuStat }[] = [];

  constructor(
    private readonly windowMs = 1000,
    private readonly minPeriods = 4,
  ) {}

  add(at: number, stat: CpuStat): number | null {
    this.readings.push({ at, stat });
    while (this.readings.length > 2 && at - this.readings[1]!.at >= this.windowMs)
      this.readings.shift();
    const first = this.readings[0]!.stat;
    const periods = stat.periods - first.periods;
    if (periods < this.minPeriods) return null;
    return Math.min(1, Math.max(0, (stat.throttled - first.throttled) / periods));
  }
}
