import * as z from "zod";
import { none, noBody, operation } from "../operation.js";
import { flag, limit, runId } from "../schemas.js";
import { streamEventSchema, transitionPageJson, transitionPageSchema } from "../wire/events.js";

/**
 * Transitions of every run, by id: a page of them here; the same feed live as server-sent events
 * at /v1/events. `newest` gives the last `limit` transitions (what `keel events tail` prints).
 */
export const listTransitions = operation({
  id: "events.list",
  method: "GET",
  path: "/v1/transitions",
  role: "viewer",
  summary: "transitions of every run (or one run) after an id, oldest first",
  params: none,
  query: z
    .object({
      after: z.coerce.number().int().min(0).default(0),
      run: runId.optional(),
      limit: limit(1000, 100),
      newest: flag.default(false),
    })
    .strict(),
  body: noBody,
  response: transitionPageSchema,
  async run({ keel }, { query }) {
    const transitions = await keel.store.listTransitionsAfter({
      afterId: query.after,
      limit: query.limit,
      runId: query.run,
      newest: query.newest,
    });
    return transitionPageJson(transitions, query.after);
  },
});

/**
 * `/v1/events`: the same feed, live, as server-sent events (api/events.ts streams it). Declared
 * like an operation, so its query is checked by the same parser, but served by its own route: it
 * answers with a stream, each event's `data` one transition.
 */
export const streamTransitions = {
  id: "events.stream",
  method: "GET",
  path: "/v1/events",
  role: "viewer",
  params: none,
  query: z
    .object({
      run: runId.optional(),
      after: z.coerce.number().int().min(0).optional(),
    })
    .strict(),
  body: noBody,
  response: streamEventSchema,
} as const;
