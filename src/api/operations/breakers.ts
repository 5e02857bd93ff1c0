import * as z from "zod";
import { resetBreaker, tripBreaker } from "../../ops/breakers.js";
import { none, noBody, operation } from "../operation.js";
import { optionalBody, text } from "../schemas.js";
import {
  breakerChangeJson,
  breakerChangeSchema,
  breakerJson,
  breakerListSchema,
} from "../wire/breakers.js";

/** Circuit breakers of named dependencies, shared by every node through the store. */
const nameParams = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "a breaker name: letters, digits, . _ -"),
  })
  .strict();

export const list = operation({
  id: "breakers.list",
  method: "GET",
  path: "/v1/breakers",
  role: "viewer",
  summary: "every breaker: state, failures, why, and its latest state changes",
  params: none,
  query: z.object({ history: z.coerce.number().int().min(0).max(1000).default(10) }).strict(),
  body: noBody,
  response: breakerListSchema,
  async run({ keel }, { query }) {
    const views = await keel.breakers.list({ history: query.history });
    return { breakers: views.map(breakerJson) };
  },
});

export const trip = operation({
  id: "breakers.trip",
  method: "POST",
  path: "/v1/breakers/:name/trip",
  role: "operator",
  summary: "open a breaker on every node until reset: steps using it wait or fall back",
  params: nameParams,
  query: none,
  body: z.object({ reason: text }).strict(),
  response: breakerChangeSchema,
  async run({ keel, actor }, { params, body }) {
    return breakerChangeJson(await tripBreaker(keel, params.name, { reason: body.reason, actor }));
  },
});

export const reset = operation({
  id: "breakers.reset",
  method: "POST",
  path: "/v1/breakers/:name/reset",
  role: "operator",
  summary: "close a breaker: the runs it deferred are due at once",
  params: nameParams,
  query: none,
  body: optionalBody({ note: text.optional() }),
  response: breakerChangeSchema,
  async run({ keel, actor }, { params, body }) {
    return breakerChangeJson(await resetBreaker(keel, params.name, { note: body?.note, actor }));
  },
});
