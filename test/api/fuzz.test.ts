import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiHarness, snapshot, type ApiHarness } from "./helpers.js";

/**
 * Bad input anywhere: random params, queries, bodies, content types and headers thrown at every
 * route, with a valid admin token so they get past auth to the input checks. Never a 5xx, always
 * the JSON error shape, and a refused request changes nothing in the store.
 */
let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
  // something to act on, so a random id sometimes names a real run
  await h.keel.submit("echo", { n: 1 });
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
