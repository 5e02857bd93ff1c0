import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";

/**
 * The PostgreSQL server of the store tests. KEEL_TEST_POSTGRES_URL when set (CI points it at the
 * machine's server); otherwise a throwaway server this process starts itself: initdb and pg_ctl
 * on a free port, in a temp folder, stopped by its pid when the tests are done. When neither can
 * be had the tests fail, saying why: a PostgreSQL suite is never skipped in silence.
 */
export interface TestPostgres {
  /** postgres://... of a database the tests may create schemas in */
  url: string;
  /** how it was had, for messages */
  origin: string;
  stop(): Promise<void>;
}

export async function testPostgres(): Promise<TestPostgres> {
  const given = process.env.KEEL_TEST_POSTGRES_URL;
  if (given) {
    await reachable(given, "KEEL_TEST_POSTGRES_URL");
    return { url: given, origin: "KEEL_TEST_POSTGRES_URL", stop: async () => undefined };
  }
  return throwawayServer();
}

async function reachable(url: string, origin: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (error) {
    throw new Error(
      `PostgreSQL at ${origin} (${url}) is not reachable: ${(error as Error).message}. Start it, or unset KEEL_TEST_POSTGRES_URL so the tests start a throwaway server with initdb and pg_ctl`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

function onPath(tool: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user. */
function serverUser(): { prefix: string[]; uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return { prefix: [] };
  const id = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (id.status !== 0 || !onPath("runuser"))
    throw new Error(
      "cannot start a throwaway PostgreSQL: this runs as root, and initdb needs a non-root user, but there is no `postgres` user (or no runuser). Create one (useradd postgres) or set KEEL_TEST_POSTGRES_URL to a server",
    );
  return {
    prefix: ["runuser", "-u", "postgres", "--"],
    uid: Number(id.stdout.trim()),
    gid: Number(gid.stdout.trim()),
  };
}

async function throwawayServer(): Promise<TestPostgres> {
  const server = await restartableServer();
  return { url: server.url, origin: server.origin, stop: server.stop };
}

/** A throwaway server the test may stop and start again on the same port and data. */
export interface RestartableServer extends TestPostgres {
  /** a fast shutdown: every connection is cut and the server is gone until up() */
  down(): Promise<void>;
  up(): Promise<void>;
}

/**
 * A server of the test's own (never the machine's): initdb and pg_ctl on a free port in a temp
 * folder, for tests that stop the server mid-load. Fails saying why when the tools are missing.
 */
export async function restartableServer(): Promise<RestartableServer> {
  for (const tool of ["initdb", "pg_ctl"])
    if (!onPath(tool))
      throw new Error(
        `KEEL_TEST_POSTGRES_URL is unset and ${tool} is not on PATH, so the PostgreSQL store tests have no server: install PostgreSQL's server binaries (Debian: postgresql) or point KEEL_TEST_POSTGRES_URL at a server`,
      );
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), "keel-pg-"));
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid ?? user.uid);
  const data = join(dir, "data");
  const port = await freePort();
  const run = (args: string[]): void => {
    const [cmd, ...rest] = [...user.prefix, ...args];
    execFileSync(cmd as string, rest, { stdio: "pipe", timeout: 120_000 });
  };
  const start = (): number => {
    try {
      run([
        "pg_ctl",
        "start",
        "-w",
        "-D",
        data,
        "-l",
        join(dir, "server.log"),
        "-o",
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200`,
      ]);
    } catch (error) {
      const log = existsSync(join(dir, "server.log"))
        ? readFileSync(join(dir, "server.log"), "utf8").slice(-2000)
        : "";
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
      throw new Error(`cannot start a throwaway PostgreSQL in ${dir}: ${stderr}${log}`);
    }
    return Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
  };
  let pid: number;
  try {
    run(["initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
    pid = start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const down = async (): Promise<void> => {
    // SIGINT: PostgreSQL's fast shutdown; the postmaster ends its own children
    try {
      process.kill(pid, "SIGINT");
    } catch {
      // already gone
    }
    const deadline = Date.now() + 30_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (alive(pid)) process.kill(pid, "SIGKILL");
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    origin: `a throwaway server (pid ${pid}, port ${port})`,
    down,
    up: async () => {
      pid = start();
    },
    stop: async () => {
      await down();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let schemaSeq = 0;

/** A schema name no other test uses: created by the store's migration, dropped by dropSchema. */
export function freshSchema(prefix = "keel_t"): string {
  schemaSeq += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${schemaSeq}`;
}

/** Runs `sql` on one connection to the test server, search_path set to `schema`. */
export async function onSchema<T>(
  url: string,
  schema: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  await onSchema(url, schema, (c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
}

/**
 * The server for one test file: had before its tests (started if need be), stopped after them.
 * The returned function gives it to the tests, or throws why there is none.
 */
export function useTestPostgres(): () => TestPostgres {
  let server: TestPostgres | undefined;
  beforeAll(async () => {
    server = await testPostgres();
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error("no PostgreSQL server: see the error of beforeAll");
    return server;
  };
}
