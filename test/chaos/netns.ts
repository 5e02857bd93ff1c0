// A network namespace of the test's own, joined to the host by a veth pair, so a node runs as on
// another host: it reaches PostgreSQL only over the link, and deleting the link is a real network
// partition (its packets go nowhere; no process is signalled). PostgreSQL here listens on
// 127.0.0.1 only: a TCP forwarder on the host end of the link carries the node's connections to it.
import { spawnSync } from "node:child_process";
import { connect, createServer, type Server, type Socket } from "node:net";

const ip = "/usr/sbin/ip";

function sh(args: string[]): { ok: boolean; error: string } {
  const result = spawnSync(ip, args, { encoding: "utf8" });
  const error = result.error?.message ?? result.stderr.trim();
  return { ok: result.status === 0, error };
}

function must(args: string[]): void {
  const result = sh(args);
  if (!result.ok) throw new Error(`ip ${args.join(" ")}: ${result.error}`);
}

/**
 * Why this machine cannot make a network namespace, or null when it can: creating one needs
 * CAP_SYS_ADMIN and a veth pair CAP_NET_ADMIN (root, in a container started with both).
 */
export function netnsUnavailable(): string | null {
  const probe = `keel-probe-${process.pid}`;
  const made = sh(["netns", "add", probe]);
  if (!made.ok)
    return `\`ip netns add\` failed (${made.error || "no ip at /usr/sbin/ip"}): a network namespace needs root with CAP_SYS_ADMIN and CAP_NET_ADMIN (docker: --cap-add SYS_ADMIN --cap-add NET_ADMIN)`;
  const veth = sh([
    "link",
    "add",
    `kp${process.pid % 100_000}`,
    "type",
    "veth",
    "peer",
    "name",
    `kq${process.pid % 100_000}`,
  ]);
  sh(["link", "del", `kp${process.pid % 100_000}`]);
  sh(["netns", "del", probe]);
  return veth.ok
    ? null
    : `\`ip link add ... type veth\` failed (${veth.error}): needs CAP_NET_ADMIN`;
}

export interface NetNamespace {
  name: string;
  /** the host end's address: what the node in the namespace connects to */
  hostAddress: string;
  /** the command prefix that runs a process inside it */
  prefix: string[];
  /** deletes the link: a network partition between the namespace and the host */
  cut(): void;
  /** makes the link again, with the same addresses */
  mend(): void;
  remove(): void;
}

let made = 0;

/** a namespace and its link, with a /30 of 10.213.0.0/16 of its own */
export function makeNamespace(): NetNamespace {
  made += 1;
  const tag = `${process.pid % 100_000}${made}`;
  const name = `keel-${process.pid}-${made}`;
  const hostEnd = `kh${tag}`;
  const nsEnd = `kn${tag}`;
  const base = ((process.pid % 64) * 4 + made * 4) % 256;
  const third = process.pid % 250;
  const hostAddress = `10.213.${third}.${base + 1}`;
  const nsAddress = `10.213.${third}.${base + 2}`;
  const inside = (args: string[]) => must(["netns", "exec", name, ip, ...args]);
  const link = (): void => {
    must(["link", "add", hostEnd, "type", "veth", "peer", "name", nsEnd]);
    must(["link", "set", nsEnd, "netns", name]);
    must(["addr", "add", `${hostAddress}/30`, "dev", hostEnd]);
    must(["link", "set", hostEnd, "up"]);
    inside(["addr", "add", `${nsAddress}/30`, "dev", nsEnd]);
    inside(["link", "set", nsEnd, "up"]);
  };
  must(["netns", "add", name]);
  try {
    inside(["link", "set", "lo", "up"]);
    link();
  } catch (error) {
    sh(["link", "del", hostEnd]);
    sh(["netns", "del", name]);
    throw error;
  }
  return {
    name,
    hostAddress,
    prefix: [ip, "netns", "exec", name],
    // deleting one end of a veth pair deletes both
    cut: () => must(["link", "del", hostEnd]),
    mend: link,
    remove() {
      sh(["link", "del", hostEnd]);
      sh(["netns", "del", name]);
    },
  };
}

export interface Forwarder {
  port: number;
  close(): Promise<void>;
}

/** listens on `host` (a free port) and carries each connection to `target` */
export async function forward(
  host: string,
  target: { host: string; port: number },
): Promise<Forwarder> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(a);
      a.pipe(b);
      // a partition or a closed session: end both sides, the client reconnects
      a.on("error", () => b.destroy());
      a.on("close", () => {
        sockets.delete(a);
        b.destroy();
      });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
