import * as z from "zod";
import { none, noBody, operation } from "../operation.js";
import { flag, optionalBody, text } from "../schemas.js";
import { emergencyJson, emergencySchema } from "../wire/emergency.js";

/** The store-wide emergency stop. */
export const emergencyStatus = operation({
  id: "emergency.status",
  method: "GET",
  path: "/v1/emergency",
  role: "viewer",
  summary: "is the emergency stop on, since when, why, who",
  params: none,
  query: none,
  body: noBody,
  response: emergencySchema,
  async run({ keel }) {
    return emergencyJson(await keel.emergencyStatus());
  },
});

export const emergencyOn = operation({
  id: "emergency.on",
  method: "POST",
  path: "/v1/emergency/on",
  role: "operator",
  summary: "no node starts a step until off; with abort, steps in flight are aborted too",
  params: none,
  query: none,
  body: z.object({ reason: text, abort: flag.default(false) }).strict(),
  response: emergencySchema,
  async run({ keel, actor }, { body }) {
    return emergencyJson(await keel.emergencyOn({ reason: body.reason, abort: body.abort, actor }));
  },
});

export const emergencyOff = operation({
  id: "emergency.off",
  method: "POST",
  path: "/v1/emergency/off",
  role: "operator",
  summary: "turn the emergency stop off: nodes resume at once",
  params: none,
  query: none,
  body: optionalBody({ reason: text.optional() }),
  response: emergencySchema,
  async run({ keel, actor }, { body }) {
    return emergencyJson(await keel.emergencyOff({ reason: body?.reason, actor }));
  },
});
