import { randomBytes } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Database } from "../../src/store/sqlite/driver.js";
import { keelCli } from "./keel-cli.js";

function json<T = Record<string, unknown>>(home: string, args: string[], expectedCode = 0): T {
  const result = keelCli(home, [...args, "--format", "json"]);
  expect(result.code, `keel ${args.join(" ")}: ${result.stderr}`).toBe(expectedCode);
  return JSON.parse(result.stdout) as T;
}

function submit(home: string, name: string, wait = false): string {
  const input = JSON.stringify({ name, text: `# ${name}\nThe council shall fund the pump.` });
  const args = ["submit", "document-analysis", "--input", input, ...(wait ? ["--wait"] : [])];
  return json<{ id: string }>(home, args).id;
}

function listedIds(home: string): string[] {
  return json<{ runs: { id: string }[] }>(home, ["jobs", "list"]).runs.map((r) => r.id);
}

/** Runs `body` with a background node on `home`, and always stops it. */
function withNode(home: string, body: () => void): void {
  const started = keelCli(home, ["start"]);
  expect(started.code, started.stderr).toBe(0);
  try {
    body();
  } finally {
    const stopped = keelCli(home, ["stop"]);
    if (stopped.code !== 0) keelCli(home, ["stop", "--force"]);
    expect(stopped.code, stopped.stderr).toBe(0);
  }
}

function integrityOf(file: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.pragma("integrity_check", { simple: true }) as string;
  } finally {
    db.close();
  }
}

describe("keel db", () => {
  it("backs up while a node runs: checked 0600 copies, the newest --keep kept", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-db-backup-"));
    withNode(home, () => {
      submit(home, "first", true);
      for (let i = 0; i < 5; i++) submit(home, `busy-${i}`); // the node works while we copy
      const backup = json<{ file: string; integrity: string; runs: number; removed: string[] }>(
        home,
        ["db", "backup"],
      );
      expect(backup).toMatchObject({ integrity: "ok", removed: [] });
      expect(backup.runs).toBeGreaterThanOrEqual(6);
      expect(backup.file.startsWith(join(home, "backups", "keel-"))).toBe(true);
      expect(statSync(backup.file).mode & 0o777).toBe(0o600);
      expect(integrityOf(backup.file)).toBe("ok");
      expect(json(home, ["db", "check"])).toMatchObject({ ok: true, problems: [] });

      const made = [backup.file];
      for (let i = 0; i < 3; i++)
        made.push(json<{ file: string }>(home, ["db", "backup", "--keep", "2"]).file);
      const kept = readdirSync(join(home, "backups")).map((f) => join(home, "backups", f));
      expect(kept.sort()).toEqual(made.slice(-2).sort());

      const elsewhere = join(home, "elsewhere", "copy.db");
      expect(json(home, ["db", "backup", "--to", elsewhere])).toMatchObject({ file: elsewhere });
      expect(keelCli(home, ["db", "backup", "--to", elsewhere]).code).toBe(2); // never overwritten
      expect(keelCli(home, ["db", "backup", "--to", join(home, "x.db"), "--keep", "3"]).code).toBe(
        2,
      );
    });
  }, 120_000);

  it("restores only with no node running, bringing back the backed-up runs and keeping the replaced file", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-db-restore-"));
    let backup = "";
    let before = "";
    let later = "";
    withNode(home, () => {
      before = submit(home, "before", true);
      backup = json<{ file: string }>(home, ["db", "backup"]).file;
      later = submit(home, "later", true);
      const refused = keelCli(home, ["db", "restore", backup, "--yes"]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/node is running .*\(pid \d+\).*keel stop/);
    });
    expect(listedIds(home)).toEqual([later, before]);

    const preview = keelCli(home, ["db", "restore", backup]);
    expect(preview.code).toBe(2);
    expect(preview.stderr).toMatch(/--yes/);
    expect(listedIds(home)).toEqual([later, before]); // a preview changes nothing

    const restored = json<{ restored: boolean; replaced: string; runs: number }>(home, [
      "db",
      "restore",
      backup,
      "--yes",
    ]);
    expect(restored).toMatchObject({ restored: true, runs: 1 });
    expect(listedIds(home)).toEqual([before]);
    const replaced = new Database(restored.replaced, { readonly: true, fileMustExist: true });
    const kept = replaced.prepare("SELECT id FROM runs ORDER BY id").all();
    replaced.close();
    expect(kept).toEqual([{ id: before }, { id: later }]);
    expect(json(home, ["db", "check"])).toMatchObject({ ok: true });
  }, 120_000);

  it("rebuild-state finds a status edited by hand and --apply rebuilds it from the transitions", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-db-rebuild-"));
    const id = submit(home, "tampered");
    const db = new Database(join(home, "keel.db"));
    db.prepare("UPDATE runs SET status = 'quarantined' WHERE id = ?").run(id);
    db.close();

    const check = json<{ problems: { code: string; run_id: string }[]; advice: string[] }>(
      home,
      ["db", "check"],
      1,
    );
    expect(check.problems).toEqual([
      expect.objectContaining({ code: "status_mismatch", run_id: id }),
    ]);
    expect(check.advice.join("\n")).toMatch(/keel db rebuild-state --apply/);
    const row = {
      run_id: id,
      stored: "quarantined",
      rebuilt: "pending",
      last_transition: "pending",
    };
    expect(json(home, ["db", "rebuild-state"])).toEqual({
      applied: false,
      runs: [{ ...row, code: "status_mismatch" }],
    });
    expect(json<{ status: string }>(home, ["jobs", "show", id]).status).toBe("quarantined");

    withNode(home, () => {
      const refused = keelCli(home, ["db", "rebuild-state", "--apply"]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/pid \d+/);
      // checked beside the node, on a read-only connection: the advice starts with stopping it
      const beside = json<{ advice: string[] }>(home, ["db", "check"], 1);
      expect(beside.advice[0]).toMatch(/^keel stop/);
      expect(beside.advice[1]).toMatch(/^keel db rebuild-state --apply/);
    });
    expect(json(home, ["db", "rebuild-state", "--apply"])).toMatchObject({ applied: true });
    const shown = json<{ status: string; transitions: { reason: string; actor: string }[] }>(home, [
      "jobs",
      "show",
      id,
    ]);
    expect(shown.status).toBe("pending");
    expect(shown.transitions).toContainEqual(
      expect.objectContaining({ reason: "rebuilt_from_transitions", actor: "cli" }),
    );
    expect(json(home, ["db", "check"])).toMatchObject({ ok: true });
  }, 120_000);

  it("a random or truncated store file stops every command with exit 1 and the restore command", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-db-corrupt-"));
    const id = submit(home, "precious");
    const backup = json<{ file: string }>(home, ["db", "backup"]).file;
    const store = join(home, "keel.db");
    const good = join(home, "good.db.copy");
    copyFileSync(store, good);
    const size = statSync(good).size;
    const damages: [string, () => void][] = [
      ["random bytes", () => writeFileSync(store, randomBytes(size))],
      ["truncated", () => (copyFileSync(good, store), truncateSync(store, Math.floor(size / 2)))],
      ["cut at a page", () => (copyFileSync(good, store), truncateSync(store, 4096))],
    ];
    const commands = [
      ["jobs", "list"],
      ["jobs", "show", id],
      ["submit", "document-analysis", "--input", "{}"],
      ["start"],
      ["start", "--foreground"],
      ["db", "check"],
      ["db", "backup"],
      ["db", "rebuild-state"],
    ];
    for (const [what, damage] of damages) {
      for (const suffix of ["-wal", "-shm"]) rmSync(store + suffix, { force: true });
      damage();
      for (const args of commands) {
        const result = keelCli(home, args);
        const output = result.stdout + result.stderr;
        expect(result.code, `${what}: keel ${args.join(" ")}: ${output}`).toBe(1);
        expect(output, `${what}: keel ${args.join(" ")}`).toMatch(/corrupt/);
        expect(output, `${what}: keel ${args.join(" ")}`).toContain(`keel db restore ${backup}`);
        expect(output).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
      }
    }
    expect(existsSync(join(home, "keel.pid"))).toBe(false);
    expect(keelCli(home, ["db", "restore", join(home, "nope.db"), "--yes"]).code).toBe(2);
    writeFileSync(join(home, "junk.db"), randomBytes(8192));
    const junk = keelCli(home, ["db", "restore", join(home, "junk.db"), "--yes"]);
    expect(junk.code).toBe(1);
    expect(junk.stderr).toMatch(/not a usable keel store/);

    const restored = json<{ replaced: string }>(home, ["db", "restore", backup, "--yes"]);
    expect(existsSync(restored.replaced)).toBe(true); // the damaged file is kept for inspection
    expect(listedIds(home)).toEqual([id]);
  }, 120_000);

  it("a deleted store file: refused while its WAL holds data, else recreated with a warning", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-db-missing-"));
    const id = submit(home, "precious");
    const backup = json<{ file: string }>(home, ["db", "backup"]).file;
    const store = join(home, "keel.db");
    rmSync(store);
    writeFileSync(`${store}-wal`, randomBytes(4096)); // what a deletion under a live node leaves
    const orphan = keelCli(home, ["jobs", "list"]);
    expect(orphan.code).toBe(1);
    expect(orphan.stderr).toMatch(/missing but its write-ahead log .*keel db restore/);

    rmSync(`${store}-wal`);
    rmSync(`${store}-shm`, { force: true });
    const fresh = keelCli(home, ["jobs", "list", "--format", "json"]);
    expect(fresh.code).toBe(0);
    expect(JSON.parse(fresh.stdout).runs).toEqual([]);
    expect(fresh.stderr).toContain(`warning: there is no store at ${store}`);
    expect(fresh.stderr).toContain(`keel db restore ${backup}`);
    expect(keelCli(home, ["jobs", "list"]).stderr).toBe(""); // said once, when it was missing
    json(home, ["db", "restore", backup, "--yes"]);
    expect(listedIds(home)).toEqual([id]);
  }, 60_000);
});
