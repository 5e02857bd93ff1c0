import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { operations } from "../../src/api/operations/index.js";
import { checkStore } from "../../src/ops/db-check.js";
import { apiHarness, snapshot, type ApiHarness } from "./helpers.js";

/**
 * Bad input anywhere: random params, queries, bodies, content types and headers thrown at every
 * route, with a valid admin token so they get past auth to the input checks. Never a 5xx, always
 * the JSON error shape, and a refused request changes nothing in the store.
 */
let h: ApiHarness;
let runId: string;
beforeAll(async () => {
  h = await apiHarness();
  // something to act on, so a random id sometimes names a real run
  runId = (await h.keel.submit("echo", { n: 1 })).id;
});
afterAll(async () => {
  await h.close();
});

const segment = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom("run_x", "nightly", "..", "%", "%00", "a/b", "🙂", " ", "0", "-1", "null"),
);
const scalar = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const query = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      "status",
      "limit",
      "since",
      "cursor",
      "pipeline",
      "after",
      "run",
      "verbose",
      "reason",
      "timeout_ms",
      "component",
      "newest",
    ),
    fc.string({ maxLength: 10 }),
  ),
  fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.constantFrom(
      "-1",
      "1e9",
      "abc",
      "",
      "24h",
      "2026-13-45",
      "true",
      "0",
      "99999999999999999999",
    ),
  ),
  { maxKeys: 4 },
);
const body = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => ({ json: v })),
  fc
    .record(
      {
        reason: scalar,
        note: scalar,
        pipeline: fc.oneof(scalar, fc.constant("echo")),
        input: fc.jsonValue({ maxDepth: 2 }),
        name: scalar,
        role: fc.oneof(scalar, fc.constantFrom("viewer", "root")),
        older_than_days: scalar,
        dry_run: scalar,
        all: scalar,
        from_step: scalar,
        priority: scalar,
        at: scalar,
        abort: scalar,
      },
      { requiredKeys: [] },
    )
    .map((v) => ({ json: v })),
  fc.string({ maxLength: 60 }).map((raw) => ({ raw })),
  fc.uint8Array({ maxLength: 40 }).map((bytes) => ({ raw: Buffer.from(bytes) })),
);
const contentType = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "",
);
const headers = fc.dictionary(
  fc.constantFrom("x-keel-actor", "accept", "last-event-id", "x-forwarded-for", "content-encoding"),
  fc.string({ maxLength: 30 }).filter((v) => /^[\x20-\x7e]*$/.test(v)),
  { maxKeys: 3 },
);

describe("random requests at every route", () => {
  it("never answer 5xx, always JSON errors, and a refused request changes nothing", async () => {
    // /health answers 503 by design while unhealthy (no node runs here); /v1/events streams
    const routes = h.api.routes.filter(
      (r) => r.method !== "HEAD" && r.url !== "/v1/events" && r.url !== "/health",
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.array(segment, { minLength: 3, maxLength: 3 }),
        query,
        body,
        contentType,
        headers,
        async (route, segments, q, b, type, extra) => {
          let i = 0;
          const url = route.url.replace(/:([a-z_]+)/g, () => encodeURIComponent(segments[i++]!));
          const before = await snapshot(h.keel);
          const payload =
            route.method === "GET" ? undefined : "json" in b ? JSON.stringify(b.json) : b.raw;
          const res = await h.api.app.inject({
            method: route.method as "GET" | "POST",
            url,
            query: q,
            headers: {
              ...extra,
              authorization: `Bearer ${h.tokens.admin}`,
              ...(payload !== undefined && type ? { "content-type": type } : {}),
            },
            ...(payload !== undefined ? { payload } : {}),
          });
          expect(res.statusCode, `${route.method} ${url} -> ${res.body}`).toBeLessThan(500);
          if (res.statusCode >= 400) {
            const error = res.json().error;
            expect(typeof error.code).toBe("string");
            expect(typeof error.message).toBe("string");
            expect(error.message.length).toBeGreaterThan(0);
            expect(await snapshot(h.keel)).toEqual(before);
          }
        },
      ),
      { numRuns: 600 },
    );
  }, 120_000);

  it("the events stream refuses a bad query with a JSON 400", async () => {
    const res = await h.api.app.inject({
      method: "GET",
      url: "/v1/events?after=-3",
      headers: { authorization: `Bearer ${h.tokens.viewer}` },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("invalid_input");
  });
});

/** An error answer has keel's shape: `{ error: { code, message, details } }`. */
function expectKeelError(res: { statusCode: number; body: string }, what: string): void {
  let parsed: { error?: { code?: unknown; message?: unknown; details?: unknown } };
  try {
    parsed = JSON.parse(res.body) as typeof parsed;
  } catch {
    throw new Error(
      `${what} -> ${res.statusCode}, a body that is not JSON: ${res.body.slice(0, 300)}`,
    );
  }
  const error = parsed.error;
  const shown = `${what} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
  expect(typeof error?.code, shown).toBe("string");
  expect(typeof error?.message, shown).toBe("string");
  expect((error?.message as string).length, what).toBeGreaterThan(0);
  expect(typeof error?.details, shown).toBe("object");
  expect(error?.details, what).not.toBeNull();
}

/** The field names of an operation's schema part, through its refinements, defaults and pipes. */
function fieldsOf(schema: z.ZodType): string[] {
  let s: unknown = schema;
  for (let i = 0; i < 10 && s; i++) {
    const shape = (s as { shape?: Record<string, unknown> }).shape;
    if (shape) return Object.keys(shape);
    const def = (s as { def?: { in?: unknown; innerType?: unknown; schema?: unknown } }).def;
    s = def?.in ?? def?.innerType ?? def?.schema;
  }
  return [];
}

function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

// malformed, out of range and huge, as text: what a path param or a query value can be
const badText = [
  "",
  " ",
  "abc",
  "-1",
  "0",
  "1.5",
  "1e999",
  "NaN",
  "Infinity",
  "null",
  "true",
  "[]",
  "{}",
  "🙂",
  "\u0000",
  "a/b",
  "..",
  "2026-13-45",
  "2026-02-30T00:00:00Z",
  "99999999999d",
  "999999999d",
  "36501d",
  "+275760-09-13T00:00:00Z",
  "0000-01-01",
  "99999999999999999999",
  JSON.stringify(nested(1500)),
  "x".repeat(5000),
];
// and as JSON, what a body field can be besides
const badJson: unknown[] = [
  ...badText,
  null,
  true,
  -1,
  0,
  1.5,
  1e308,
  -1e308,
  2 ** 53 + 2,
  [],
  {},
  nested(65),
  nested(1500),
  Array.from({ length: 20_000 }, (_, i) => i),
  "x".repeat(200_000),
  { a: "x".repeat(100_000) },
];

// a valid value of each field, so that one bad field is all that is wrong with a request
const validBody: Record<string, unknown> = {
  pipeline: "echo",
  input: { n: 1 },
  reason: "fuzz",
  note: "fuzz",
  name: "fuzz-token",
  role: "viewer",
  older_than_days: 30,
  dry_run: true,
  from_step: "double",
  at: "1s",
  priority: 0,
  idempotency_key: "fuzz",
};
// the long poll answers at once; the rest of a query is optional
const validQuery: Record<string, string> = { timeout_ms: "0" };

interface Target {
  method: "GET" | "POST" | "DELETE";
  url: string;
  params: string[];
  query: string[];
  body: string[] | null;
}

/** Every route of the table buildApi returns, with the fields of its operation's schemas. */
function targets(): Target[] {
  const byId = new Map(operations.map((op) => [op.id, op]));
  return h.api.routes
    .filter((r) => r.method !== "HEAD")
    .map((r) => {
      const op = r.operation ? byId.get(r.operation) : undefined;
      const params = [...r.url.matchAll(/:([a-z_]+)/g)].map((m) => m[1] as string);
      // the routes outside the operation table: /health and the /v1/events stream
      const query = op
        ? fieldsOf(op.query)
        : r.url === "/v1/events"
          ? ["run", "after"]
          : ["verbose", "component"];
      const body = op && r.method !== "GET" ? fieldsOf(op.body) : null;
      return { method: r.method as Target["method"], url: r.url, params, query, body };
    });
}

/** The value a path param has when it is not the one under test: a real run, a real source. */
function validParam(url: string, name: string): string {
  if (name === "name") return url.startsWith("/v1/sources") ? "nightly" : "ext";
  return url.startsWith("/v1/tokens") ? "tok_none" : runId;
}

/** The events stream answers a valid query by streaming; only what it must refuse is sent. */
function refusedByEvents(field: string, value: string): boolean {
  // the stream's own check: `after` is coerced to a whole number >= 0, `run` is a run id
  if (field === "after") return !(Number.isSafeInteger(Number(value)) && Number(value) >= 0);
  return !/^[A-Za-z0-9_.-]{1,128}$/.test(value);
}

/** A request that hangs fails with its name instead of timing the whole test out. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe("every field of every route: malformed, deep, huge and out-of-range values", () => {
  it("never a 5xx, always keel's error shape; a refused request changes nothing; health and db check clean after", async () => {
    const healthBefore = await h.api.app.inject({
      method: "GET",
      url: "/v1/health",
      headers: { authorization: `Bearer ${h.tokens.admin}` },
    });
    let requests = 0;
    const send = async (
      t: Target,
      what: string,
      parts: { params: Record<string, string>; query: Record<string, string>; body?: unknown },
    ) => {
      const url = t.url.replace(/:([a-z_]+)/g, (_, name: string) =>
        encodeURIComponent(parts.params[name] as string),
      );
      const label = `${t.method} ${t.url} ${what}`;
      const before = await snapshot(h.keel);
      const res = await within(
        10_000,
        label,
        h.api.app.inject({
          method: t.method,
          url,
          query: parts.query,
          headers: {
            authorization: `Bearer ${h.tokens.admin}`,
            ...(parts.body === undefined ? {} : { "content-type": "application/json" }),
          },
          ...(parts.body === undefined ? {} : { payload: JSON.stringify(parts.body) }),
        }),
      );
      requests++;
      // /health answers 503 by design while unhealthy (no node runs here), in keel's health shape
      if (t.url === "/health" && res.statusCode === 503)
        expect(res.json().status, label).toBe("unhealthy");
      else expect(res.statusCode, `${label} -> ${res.body.slice(0, 300)}`).toBeLessThan(500);
      if (res.statusCode >= 400 && t.url !== "/health") {
        expectKeelError(res, label);
        expect(await snapshot(h.keel), `${label} changed the store`).toEqual(before);
      }
    };
    for (const t of targets()) {
      const params = Object.fromEntries(t.params.map((p) => [p, validParam(t.url, p)]));
      const body = t.body && Object.fromEntries(t.body.map((f) => [f, validBody[f] ?? "x"]));
      const query = Object.fromEntries(
        t.query.filter((f) => f in validQuery).map((f) => [f, validQuery[f] as string]),
      );
      for (const p of t.params)
        // a param over fastify's 100 characters is answered 414 (uri_too_long), in keel's shape
        for (const value of [...badText, "y".repeat(100), "y".repeat(101), "%".repeat(300)].filter(
          (v) => v.length > 0,
        ))
          await send(t, `params.${p}=${value.slice(0, 20)}`, {
            params: { ...params, [p]: value },
            query,
            body: body ?? undefined,
          });
      for (const q of t.query)
        for (const value of badText) {
          if (t.url === "/v1/events" && !refusedByEvents(q, value)) continue;
          await send(t, `query.${q}=${value.slice(0, 20)}`, {
            params,
            query: { ...query, [q]: value },
            body: body ?? undefined,
          });
        }
      for (const f of t.body ?? [])
        for (const value of badJson)
          await send(t, `body.${f}=${JSON.stringify(value).slice(0, 20)}`, {
            params,
            query,
            body: { ...body, [f]: value },
          });
    }
    expect(requests).toBeGreaterThan(2000);
    // what the fuzz turned on by valid requests, turned off again before health is compared
    await h.api.app.inject({
      method: "POST",
      url: "/v1/emergency/off",
      headers: { authorization: `Bearer ${h.tokens.admin}` },
      payload: { reason: "the fuzz is over" },
    });
    const healthAfter = await h.api.app.inject({
      method: "GET",
      url: "/v1/health",
      headers: { authorization: `Bearer ${h.tokens.admin}` },
    });
    expect(healthAfter.statusCode).toBe(200);
    const statuses = (r: typeof healthAfter) =>
      (r.json().components as { component: string; status: string }[]).map(
        (c) => `${c.component}:${c.status}`,
      );
    expect(statuses(healthAfter)).toEqual(statuses(healthBefore));
    const check = await checkStore(h.home);
    expect(check.problems).toEqual([]);
    expect(check.ok).toBe(true);
    for (const url of ["/v1/runs?limit=1000", "/v1/quarantine?limit=1000", "/v1/audit?limit=1000"])
      expect(
        (
          await h.api.app.inject({
            method: "GET",
            url,
            headers: { authorization: `Bearer ${h.tokens.admin}` },
          })
        ).statusCode,
        url,
      ).toBe(200);
  }, 180_000);
});
