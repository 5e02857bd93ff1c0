import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * Whether a bind address keeps the API on this machine: a literal loopback address (127.0.0.0/8,
 * ::1, ::ffff:127.x.x.x), or `localhost` when every address it resolves to is one. No other name
 * is looked up: what a resolver answers for `127.0.0.1.nip.io` must not decide who needs a token.
 */
const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");

export function isLoopbackAddress(host: string): boolean {
  const family = isIP(host);
  if (family === 0) return false;
  // BlockList matches an IPv4-mapped IPv6 address (::ffff:127.0.0.1) against the IPv4 subnet
  return loopback.check(host, family === 4 ? "ipv4" : "ipv6");
}

/** A host the config may call loopback before it is resolved: a literal one, or `localhost`. */
export function mayBeLoopback(host: string): boolean {
  return host === "localhost" || isLoopbackAddress(host);
}

export async function isLoopbackHost(host: string): Promise<boolean> {
  if (host !== "localhost") return isLoopbackAddress(host);
  try {
    const addresses = await lookup(host, { all: true, verbatim: true });
    return addresses.length > 0 && addresses.every((a) => isLoopbackAddress(a.address));
  } catch {
    return false;
  }
}
