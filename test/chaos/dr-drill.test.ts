import { closeSync, copyFileSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { doctor, findingOf, runFixCommand, until, useHomes } from "../doctor/helpers.js";
import { keelCli, keelJson } from "../integration/keel-cli.js";
import { startNode, useNodes } from "../integration/node-process.js";

/**
 * The disaster-recovery drill, end to end with real processes: the store damaged -> doctor
 * detects it -> the newest backup restored -> checked -> a node resumes the runs it holds; and the
 * whole home lost -> the backup restored into a new home on another path -> resumed there.
 */
describe("disaster-recovery drill", () => {
  const newHome = useHomes();
  const nodes = useNodes();

  const statuses = (home: string, config: string) =>
    Object.fromEntries(
      (
        keelJson(home, ["jobs", "list", "--config", config]).runs as {
          id: string;
          status: string;
        }[]
      ).map((r) => [r.id, r.status]),
    );

  /** three runs done by a node, two left pending, and a backup holding all five */
  async function storeWithBackup() {
    const { home, config } = newHome();
    const node = startNode(home, config);
    nodes.push(node);
    await node.ready;
    const done = [0, 1, 2].map(
      () =>
        keelJson(home, ["submit", "quick", "--input", "{}", "--wait", "--config", config])
          .id as string,
    );
    expect(keelCli(home, ["stop", "--config", config]).code).toBe(0);
    await node.exited;
    const waiting = [0, 1].map(
      () => keelJson(home, ["submit", "quick", "--input", "{}", "--config", config]).id as string,
    );
    const backup = keelJson(home, ["db", "backup", "--config", config]).file as string;
    return { home, config, done, waiting, backup };
  }

  async function resumes(home: string, config: string, ids: string[]) {
    const node = startNode(home, config);
    nodes.push(node);
    await node.ready;
    await until(() => ids.every((id) => statuses(home, config)[id] === "succeeded"));
  }

  it("corrupt -> detect -> restore the newest backup -> verify -> resume", async () => {
    const { home, config, done, waiting, backup } = await storeWithBackup();
    const store = join(home, "keel.db");
    for (const suffix of ["-wal", "-shm"]) rmSync(store + suffix, { force: true });
    const fd = openSync(store, "r+");
    writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 0);
    closeSync(fd);

    const detected = doctor(home, config);
    expect(detected.code).toBe(2);
    const finding = findingOf(detected.report, "store");
    const restore = finding.commands.find((c) => c.includes("db restore"))!;
    expect(restore).toContain(backup);
    expect(keelCli(home, ["db", "check", "--config", config]).code).toBe(1);

    expect(runFixCommand(restore, config).code).toBe(0);
    expect(keelJson(home, ["db", "check", "--config", config])).toMatchObject({ ok: true });
    expect(doctor(home, config, ["--only", "store"]).code).toBe(0);
    const restored = statuses(home, config);
    for (const id of done) expect(restored[id]).toBe("succeeded");
    for (const id of waiting) expect(restored[id]).toBe("pending");

    await resumes(home, config, waiting);
  }, 180_000);

  it("the home lost entirely -> the backup restored into a new home on another path", async () => {
    const { home, done, waiting, backup } = await storeWithBackup();
    const carried = join(mkdtempSync(join(tmpdir(), "keel-offsite-")), "keel.db");
    copyFileSync(backup, carried);
    rmSync(home, { recursive: true, force: true });

    const fresh = newHome();
    expect(fresh.home).not.toBe(home);
    expect(
      keelCli(fresh.home, ["db", "restore", carried, "--yes", "--config", fresh.config]).code,
    ).toBe(0);
    expect(keelJson(fresh.home, ["db", "check", "--config", fresh.config])).toMatchObject({
      ok: true,
    });
    const restored = statuses(fresh.home, fresh.config);
    expect(Object.keys(restored).sort()).toEqual([...done, ...waiting].sort());

    await resumes(fresh.home, fresh.config, waiting);
    rmSync(join(carried, ".."), { recursive: true, force: true });
  }, 180_000);
});
