import * as z from "zod";
import { parseDurationMs } from "../../core/duration.js";
import {
  listAlerts,
  showAlert,
  silenceAlert,
  testAlert,
  unsilenceAlert,
} from "../../ops/alerts/actions.js";
import { none, noBody, operation } from "../operation.js";
import { text } from "../schemas.js";
import {
  alertDetailsJson,
  alertDetailsSchema,
  alertJson,
  alertListSchema,
  silenceJson,
  silenceSchema,
  testJson,
  testSchema,
  unsilenceSchema,
} from "../wire/alerts.js";

/** Alerts keel evaluates itself (docs/alerts.md): read by viewers, silenced and tested by operators. */
const ruleParams = z
  .object({
    rule: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "a rule id such as queue_backlog"),
  })
  .strict();

const maxSilenceMs = 90 * 86_400_000;
const silenceFor = z.string().transform((value, ctx) => {
  try {
    const ms = parseDurationMs(value);
    if (ms >= 1000 && ms <= maxSilenceMs) return ms;
    ctx.addIssue({ code: "custom", message: "a silence lasts from 1s to 90d" });
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
  }
  return z.NEVER;
});

export const list = operation({
  id: "alerts.list",
  method: "GET",
  path: "/v1/alerts",
  role: "viewer",
  summary: "every rule: its state, threshold, for: and silence",
  params: none,
  query: none,
  body: noBody,
  response: alertListSchema,
  async run({ keel }) {
    return { alerts: (await listAlerts(keel)).map(alertJson) };
  },
});

export const show = operation({
  id: "alerts.show",
  method: "GET",
  path: "/v1/alerts/:rule",
  role: "viewer",
  summary: "one rule: its state, history, the outbox's queues and the evaluating node",
  params: ruleParams,
  query: z.object({ history: z.coerce.number().int().min(1).max(1000).default(20) }).strict(),
  body: noBody,
  response: alertDetailsSchema,
  async run({ keel }, { params, query }) {
    return alertDetailsJson(await showAlert(keel, params.rule, query.history));
  },
});

export const silence = operation({
  id: "alerts.silence",
  method: "POST",
  path: "/v1/alerts/:rule/silence",
  role: "operator",
  summary: "queue no notification of a rule for a while (audited)",
  params: ruleParams,
  query: none,
  body: z.object({ for: silenceFor, reason: text }).strict(),
  response: silenceSchema,
  async run({ keel, actor }, { params, body }) {
    return silenceJson(
      await silenceAlert(keel, params.rule, { forMs: body.for, reason: body.reason, actor }),
    );
  },
});

export const unsilence = operation({
  id: "alerts.unsilence",
  method: "POST",
  path: "/v1/alerts/:rule/unsilence",
  role: "operator",
  summary: "end a rule's silence (audited)",
  params: ruleParams,
  query: none,
  body: noBody,
  response: unsilenceSchema,
  async run({ keel, actor }, { params }) {
    const ended = await unsilenceAlert(keel, params.rule, { actor });
    return { rule: params.rule, ended: ended && silenceJson(ended) };
  },
});

export const test = operation({
  id: "alerts.test",
  method: "POST",
  path: "/v1/alerts/:rule/test",
  role: "operator",
  summary: "send a test notification of a rule through the outbox to its receivers (audited)",
  status: () => 202,
  params: ruleParams,
  query: none,
  body: noBody,
  response: testSchema,
  async run({ keel, actor }, { params }) {
    return testJson(params.rule, await testAlert(keel, params.rule, { actor }));
  },
});
