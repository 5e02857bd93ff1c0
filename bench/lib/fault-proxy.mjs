// A TCP fault proxy: sits between keel and a dependency on loopback and injects network faults
// for real (tc netem is not in this kernel). The chaos tests (test/chaos/fault-proxy.ts re-exports
// it) and bench/recovery.mjs use this one implementation; fault-proxy.d.mts gives its types.
// Modes apply to new and open connections alike:
//   pass       forward bytes both ways
//   delay      forward, each chunk held `delayMs`
//   blackhole  accept and read, never forward or answer (a hung dependency)
//   reset      answer every connection with a TCP RST (a crashed dependency)
//   refuse     stop listening: connections are refused (nothing on the port)
// `failRatio` (0..1) makes the fault partial: that share of new connections gets the fault, the
// rest pass.
import * as net from "node:net";

/**
 * @param {number} targetPort
 * @param {string} [targetHost]
 * @returns {Promise<import("./fault-proxy.d.mts").FaultProxy>}
 */
export async function startFaultProxy(targetPort, targetHost = "127.0.0.1") {
  /** @type {import("./fault-proxy.d.mts").FaultMode} */
  let mode = "pass";
  let delayMs = 0;
  let failRatio = 1;
  /** @type {Set<net.Socket>} */
  const open = new Set();
  /** @type {WeakSet<net.Socket>} */
  const faulted = new WeakSet();

  /** @param {net.Socket} client */
  const onConnection = (client) => {
    open.add(client);
    client.on("close", () => open.delete(client));
    client.on("error", () => undefined);
    if (mode !== "pass" && Math.random() < failRatio) faulted.add(client);
    if (faulted.has(client) && mode === "reset") {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    client.on("close", () => upstream.destroy());
    // the fault is looked up at every chunk, so a connection opened before a fault suffers it too
    /** @param {net.Socket} from @param {net.Socket} to */
    const forward = (from, to) => {
      /** @param {() => void} fn */
      const later = (fn) => {
        const fault = faulted.has(client) ? mode : "pass";
        if (fault === "blackhole") return;
        if (fault === "delay" && delayMs > 0) setTimeout(fn, delayMs);
        else fn();
      };
      from.on("data", (chunk) => later(() => to.write(chunk)));
      // an end travels like data: after the bytes before it
      from.on("end", () => later(() => to.end()));
    };
    forward(client, upstream);
    forward(upstream, client);
  };

  let server = net.createServer(onConnection);
  /** @type {number} */
  const port = await new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve(/** @type {net.AddressInfo} */ (server.address()).port),
    ),
  );
  /** @returns {Promise<void>} */
  const listen = () =>
    new Promise((resolve, reject) => {
      server = net.createServer(onConnection);
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
  /** @returns {Promise<void>} */
  const stopListening = () => new Promise((resolve) => server.close(() => resolve()));

  return {
    port,
    url: (path = "") => `http://127.0.0.1:${port}${path}`,
    get mode() {
      return mode;
    },
    async set(next, options = {}) {
      const wasListening = mode !== "refuse";
      mode = next;
      delayMs = options.delayMs ?? 0;
      failRatio = options.failRatio ?? 1;
      // a full fault hits open connections too: they hang (blackhole), are reset, or are closed
      // with the listener (refuse); after it, open connections pass again
      for (const socket of open) {
        if (next === "pass" || failRatio < 1) faulted.delete(socket);
        else faulted.add(socket);
        if (next === "reset" && failRatio >= 1) socket.resetAndDestroy();
        if (next === "refuse") socket.destroy();
      }
      if (next === "refuse" && wasListening) await stopListening();
      if (next !== "refuse" && !wasListening) await listen();
    },
    async close() {
      for (const socket of open) socket.destroy();
      if (mode !== "refuse") await stopListening();
    },
  };
}
