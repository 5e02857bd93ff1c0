import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * One-time console login links: a node hands out a code (in `keel demo --serve`'s banner or
 * through `keel console`), the browser trades it once for an API token of its own. Codes live in
 * the node's memory only, as hashes, expire after `ttlMs` and are gone with the node: a link
 * copied from a terminal scrollback later logs nobody in.
 */
const DEFAULT_TTL_MS = 15 * 60_000;
const MAX_OPEN = 32;

interface OpenCode {
  hash: Buffer;
  expiresAt: number;
  role: "admin";
  issuedBy: string;
}

export interface RedeemedCode {
  role: "admin";
  issuedBy: string;
}

export class LoginLinks {
  private readonly open: OpenCode[] = [];

  constructor(private readonly ttlMs = DEFAULT_TTL_MS) {}

  /** a new code for an admin session; the oldest open code goes when too many are open */
  issue(issuedBy: string, now = Date.now()): { code: string; expiresAt: number } {
    this.prune(now);
    if (this.open.length >= MAX_OPEN) this.open.shift();
    const code = randomBytes(24).toString("base64url");
    const expiresAt = now + this.ttlMs;
    this.open.push({ hash: digest(code), expiresAt, role: "admin", issuedBy });
    return { code, expiresAt };
  }

  /** the code's grant, once: a second redeem of the same code, or an expired one, is null */
  redeem(code: string, now = Date.now()): RedeemedCode | null {
    this.prune(now);
    const hash = digest(code);
    const index = this.open.findIndex((c) => timingSafeEqual(c.hash, hash));
    if (index < 0) return null;
    const [found] = this.open.splice(index, 1);
    return found ? { role: found.role, issuedBy: found.issuedBy } : null;
  }

  private prune(now: number): void {
    for (let i = this.open.length - 1; i >= 0; i--)
      if ((this.open[i]?.expiresAt ?? 0) <= now) this.open.splice(i, 1);
  }
}

function digest(code: string): Buffer {
  return createHash("sha256").update(code).digest();
}

/** the console's address with a login code in its fragment (never sent to a server by a browser) */
export function loginUrl(apiUrl: string, code: string): string {
  return `${apiUrl.replace(/\/$/, "")}/#/login?code=${encodeURIComponent(code)}`;
}
