import { randomBytes } from "node:crypto";
import { openSync, rmSync, statSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { keelCli, keelJson } from "../integration/keel-cli.js";
import { doctor, findingOf, runFixCommand, useHomes } from "./helpers.js";

describe("doctor: store", () => {
  const newHome = useHomes();

  it("names a damaged store file and the restore of the newest backup; the commands recover it", () => {
    const { home, config } = newHome();
    const id = keelJson(home, ["submit", "quick", "--input", "{}", "--config", config])
      .id as string;
    const backup = keelJson(home, ["db", "backup", "--config", config]).file as string;
    const store = join(home, "keel.db");
    for (const suffix of ["-wal", "-shm"]) rmSync(store + suffix, { force: true });
    // garbage over the header: the file no longer opens as a store
    const fd = openSync(store, "r+");
    writeSync(fd, randomBytes(100), 0, 100, 0);
    closeSync(fd);
    expect(statSync(store).size).toBeGreaterThan(0);

    const { report, code } = doctor(home, config, ["--only", "store"]);
    expect(code).toBe(2);
    const f = findingOf(report, "store");
    expect(f.summary).toMatch(new RegExp(`^the store file ${store} is damaged: `));
    expect(f.evidence.newest_backup).toBe(backup);
    expect(f.commands).toEqual([
      `keel db check --home ${home}`,
      `keel stop --home ${home}`,
      `keel db restore ${backup} --yes --home ${home}`,
      `keel start --home ${home}`,
    ]);
    // every other check that needs the store stays quiet rather than judging an empty stand-in
    expect(doctor(home, config).report.findings.map((x) => x.check)).toEqual(["store"]);

    expect(runFixCommand(f.commands[2]!, config).code).toBe(0);
    expect(doctor(home, config, ["--only", "store"]).code).toBe(0);
    expect(keelCli(home, ["jobs", "show", id, "--config", config]).code).toBe(0);
  }, 60_000);
});
