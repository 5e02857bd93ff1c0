// Shared by the chaos tests: a real small filesystem (tmpfs, as root), a real `keel start` node's
// HTTP API read the way an operator's tools read it, and the end-of-test store checks.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { Database } from "../../src/store/sqlite/driver.js";

export interface Tmpfs {
  dir: string;
  /** false when this machine does not allow the mount; `error` says why */
  mounted: boolean;
  error: string;
  remove(): void;
}

/** A tmpfs of `size` (e.g. "16m") on a fresh folder; needs root (or CAP_SYS_ADMIN). */
export function mountTmpfs(size: string): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), "keel-tmpfs-"));
  let mounted = false;
  let error = "";
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "pipe" });
    mounted = true;
  } catch (e) {
    error = String((e as { stderr?: Buffer }).stderr ?? e).trim();
  }
  return {
    dir,
    mounted,
    error,
    remove() {
      if (mounted) execFileSync("umount", ["-l", dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Used % of the filesystem holding `path`, as df (and the disk guard) compute it. */
export function usedPercent(path: string): number {
  const s = statfsSync(path);
  const used = s.blocks - s.bfree;
  return (used / (used + s.bavail)) * 100;
}

/** Appends 64 KiB blocks to `file` until `done()` holds or the filesystem refuses (ENOSPC). */
export function fillUntil(file: string, done: () => boolean): void {
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (let i = 0; i < 100_000 && !done(); i++) writeFileSync(file, block, { flag: "a" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  }
}

/** GET on the API of the node running for `home` (its URL from api.json), with the admin token. */
export async function nodeApi(
  home: string,
  path: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const { url } = JSON.parse(readFileSync(join(home, "api.json"), "utf8")) as { url: string };
  const token = readFileSync(join(home, "admin.token"), "utf8").trim();
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export interface HealthComponentJson {
  component: string;
  status: string;
  reason: string;
  details?: Record<string, unknown>;
}

export async function healthOf(home: string, component: string): Promise<HealthComponentJson> {
  const { body } = await nodeApi(home, "/health?verbose=true");
  const found = (body.components as HealthComponentJson[]).find((c) => c.component === component);
  if (!found) throw new Error(`no ${component} component in ${JSON.stringify(body)}`);
  return found;
}

/** Guarantee 2 and 4 at the end: every run succeeded, each checkpoint once, the file intact. */
export function expectStoreIntact(home: string, runs: number, stepsPerRun: number): void {
  const db = new Database(join(home, "keel.db"), { readonly: true });
  try {
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(db.prepare("SELECT status, count(*) AS n FROM runs GROUP BY status").all()).toEqual([
      { status: "succeeded", n: runs },
    ]);
    expect(
      db
        .prepare(
          "SELECT count(*) AS n, count(DISTINCT run_id || '/' || step) AS d FROM step_results",
        )
        .get(),
    ).toEqual({ n: runs * stepsPerRun, d: runs * stepsPerRun });
    // a checkpoint written twice would leave two step transitions to succeeded
    expect(
      db
        .prepare(
          "SELECT count(*) AS n FROM transitions WHERE step IS NOT NULL AND to_status = 'succeeded'",
        )
        .get(),
    ).toEqual({ n: runs * stepsPerRun });
  } finally {
    db.close();
  }
}

/** Polls `check` every 50 ms until it holds; fails with `message` after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs: number,
  message: string,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${message}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
