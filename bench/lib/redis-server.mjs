// A throwaway redis-server the harness starts itself, for a Redis setting the machine's own Redis
// does not have (the bench never reconfigures a server it did not start). It listens on a free
// port of 127.0.0.1, keeps its files in a folder under bench/.work, and is stopped by its pid
// when the run ends (or at exit, if the run fails first).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { Redis } from "ioredis";
import { removeDir, sleep, tempHome } from "./common.mjs";

const started = new Set();

async function freePort() {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

/**
 * Starts `redis-server` (or BENCH_REDIS_SERVER) with the given settings (`["--appendonly",
 * "yes"]`), and resolves once it answers PING: { connection: { host, port }, stop() }.
 */
export async function startRedis(label, settings) {
  const binary = process.env.BENCH_REDIS_SERVER ?? "redis-server";
  const dir = tempHome(`redis-${label}`);
  const port = await freePort();
  const child = spawn(
    binary,
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--daemonize",
      "no",
      "--logfile",
      "redis.log",
      ...settings,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  // one settled promise for both ends: events.once(child, "exit") would reject on "error" too,
  // and that rejection would go unhandled
  const ended = new Promise((resolve) => {
    child.once("error", (error) => resolve(error));
    child.once("exit", () => resolve(true));
  });
  const server = { child, dir };
  started.add(server);
  const connection = { host: "127.0.0.1", port };
  const deadline = Date.now() + 10_000;
  for (;;) {
    const early = await Promise.race([ended, sleep(50).then(() => null)]);
    if (early instanceof Error) {
      started.delete(server);
      removeDir(dir);
      throw new Error(
        early.code === "ENOENT"
          ? `${binary} not found: install Redis (apt-get install -y redis-server) or set BENCH_REDIS_SERVER, or leave out this entry with --only`
          : `could not start ${binary}: ${early.message}`,
      );
    }
    if (early === true) {
      started.delete(server);
      removeDir(dir);
      throw new Error(`${binary} exited at start: ${stderr.trim() || "see its log"}`);
    }
    if (await answers(connection)) break;
    if (Date.now() > deadline) {
      await stopServer(server);
      throw new Error(`${binary} on port ${port} did not answer PING within 10 s`);
    }
  }
  return { connection, stop: () => stopServer(server) };
}

async function answers(connection) {
  const r = new Redis({
    ...connection,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on("error", () => {});
  try {
    await r.connect();
    return (await r.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

async function stopServer(server) {
  if (!started.delete(server)) return;
  const { child, dir } = server;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
  }
  removeDir(dir);
}

/** stops every server this process started */
export async function stopAllRedis() {
  await Promise.all([...started].map(stopServer));
}

// a run that ends by an uncaught error still stops its servers (no folder cleanup: sync only)
process.on("exit", () => {
  for (const { child } of started) if (child.exitCode === null) child.kill("SIGKILL");
});
