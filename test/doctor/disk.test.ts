import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fillUntil, mountTmpfs, usedPercent, type Tmpfs } from "../chaos/helpers.js";
import { writeConfig } from "../integration/node-process.js";
import { doctor, doctorFixture, findingOf } from "./helpers.js";
import { rmSync } from "node:fs";

describe("doctor: disk", () => {
  let fs: Tmpfs | undefined;
  afterEach(() => fs?.remove());

  it("warns above the warning level and names a problem above the pause level, on a real full tmpfs", (t) => {
    fs = mountTmpfs("4m");
    if (!fs.mounted) t.skip(`cannot mount a tmpfs here: ${fs.error}`);
    const home = fs.dir;
    const config = writeConfig(home, [doctorFixture]);
    expect(doctor(home, config, ["--only", "disk"]).code).toBe(0);

    const filler = join(home, "filler.bin");
    fillUntil(filler, () => usedPercent(home) >= 83);
    const warned = doctor(home, config, ["--only", "disk"]);
    expect(warned.code).toBe(1);
    const warning = findingOf(warned.report, "disk");
    expect(warning.severity).toBe("warning");
    expect(warning.summary).toMatch(/above the warning level .*warn at 80%/);
    expect(warning.evidence).toMatchObject({ path: home, warn_percent: 80, pause_percent: 90 });

    fillUntil(filler, () => usedPercent(home) >= 95);
    const full = doctor(home, config, ["--only", "disk"]);
    expect(full.code).toBe(2);
    const problem = findingOf(full.report, "disk");
    expect(problem.summary).toMatch(/no new run is claimed .*pause at 90%/);
    expect(problem.commands).toContain(`du -sh ${home}/* | sort -h`);
    expect(problem.commands.some((c) => c.includes("telemetry clean --older-than-days"))).toBe(
      true,
    );

    rmSync(filler);
    expect(doctor(home, config, ["--only", "disk"]).code).toBe(0);
  });
});
