import { z } from "zod";
import { none, noBody, operation } from "../operation.js";
import { flag, limit, runId } from "../schemas.js";
import { transitionPageJson, transitionPageSchema } from "../wire/events.js";

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
