import type { FastifyRequest } from "fastify";
import { createHash } from "node:crypto";
import { isStoreUnreachable } from "../engine/store-reach.js";
import { KeelError } from "../core/errors/keel-error.js";
import type { Store } from "../store/store.js";
import type { TokenRecord, TokenRole } from "../store/tokens.js";
import { roleAllows, verifyApiToken } from "../ops/tokens.js";

/**
 * Who is asking, from `Authorization: Bearer keel_...`. A missing or bad token is 401, a token of
 * too low a role 403. The audit log names the token (`token:<name>`), and the person behind a CLI
 * when it says so in `X-Keel-Actor`. A client (by IP) whose tokens failed `max` times within the
 * window is answered 429 with Retry-After until the window ends, whatever token it sends then:
 * checking a token is what a guesser needs.
 */
const TOUCH_EVERY_MS = 60_000;
const ACTOR_PATTERN = /^[A-Za-z0-9:._@/-]{1,64}$/;

export interface Caller {
  actor: string;
  role: TokenRole;
}

/** @fastify/rate-limit's limiter: counts a failure, or (increment: false) only reads the count */
export type FailureLimiter = (
  request: FastifyRequest,
  options?: { increment?: boolean },
) => Promise<{ isAllowed: boolean; remaining?: number; ttlInSeconds?: number }>;

/** how long a verified token is taken while the store is out of reach */
const OUTAGE_GRACE_MS = 10 * 60_000;

export class Authenticator {
  private readonly touched = new Map<string, number>();
  private readonly verified = new Map<string, { token: TokenRecord; at: number }>();

  constructor(
    private readonly store: Store,
    /** false only on loopback, when the config turns tokens off */
    readonly required: boolean,
    private readonly failures?: FailureLimiter,
  ) {}

  async authorize(request: FastifyRequest, need: TokenRole): Promise<Caller> {
    const onBehalf = actorHeader(request);
    if (!this.required) return { actor: onBehalf ?? "local", role: "admin" };
    await this.refuseIfLimited(request);
    const header = request.headers.authorization;
    const match = typeof header === "string" ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match)
      throw await this.failed(
        request,
        "this needs a token: send `Authorization: Bearer <token>` (create one with `keel tokens create`)",
      );
    const token = await this.verify(match[1]!);
    if (!token) throw await this.failed(request, "the token is unknown, revoked or malformed");
    if (!roleAllows(token.role, need))
      throw new KeelError(
        "forbidden",
        `token "${token.name}" has role ${token.role}; this needs ${need} or above`,
        { details: { role: token.role, needs: need } },
      );
    this.touch(token);
    return {
      actor: onBehalf ? `token:${token.name}/${onBehalf}` : `token:${token.name}`,
      role: token.role,
    };
  }

  /**
   * A token as the store knows it. While a store server is out of reach, a token this node
   * verified in the last ten minutes is still taken (keyed by its hash, never its text), so
   * operators can ask a node what it holds during an outage; no unknown token gets through.
   */
  private async verify(text: string): Promise<TokenRecord | null> {
    const key = createHash("sha256").update(text).digest("hex");
    try {
      const token = await verifyApiToken(this.store, text);
      if (token) this.verified.set(key, { token, at: Date.now() });
      else this.verified.delete(key);
      return token;
    } catch (error) {
      const last = this.verified.get(key);
      if (isStoreUnreachable(error) && last && Date.now() - last.at < OUTAGE_GRACE_MS)
        return last.token;
      throw error;
    }
  }

  /** 429 while this client is over its failed-authentication budget */
  async refuseIfLimited(request: FastifyRequest): Promise<void> {
    const state = await this.failures?.(request, { increment: false });
    if (!state || state.isAllowed || (state.remaining ?? 1) > 0) return;
    const after = Math.max(1, state.ttlInSeconds ?? 1);
    throw new KeelError(
      "too_many_requests",
      `too many failed authentications from ${request.ip}; try again in ${after} s with a valid token`,
      { details: { retry_after_s: after } },
    );
  }

  /** counts a failed authentication; the 401 to throw */
  async failed(request: FastifyRequest, message: string): Promise<KeelError> {
    await this.failures?.(request);
    return new KeelError("unauthorized", message);
  }

  private touch(token: TokenRecord): void {
    const now = Date.now();
    if (now - (this.touched.get(token.id) ?? 0) < TOUCH_EVERY_MS) return;
    this.touched.set(token.id, now);
    // best effort: a failed note of last use must not fail the request
    this.store.touchToken(token.id, now).catch(() => undefined);
  }
}

function actorHeader(request: FastifyRequest): string | undefined {
  const value = request.headers["x-keel-actor"];
  return typeof value === "string" && ACTOR_PATTERN.test(value) ? value : undefined;
}
