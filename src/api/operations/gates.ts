import * as z from "zod";
import { none, noBody, operation } from "../operation.js";
import { limit, runId, stepName, text } from "../schemas.js";
import { gateDecisionSchema, gateJson, gateListSchema } from "../wire/gates.js";

/** Approval gates: the runs waiting for a person, and a person's decision (operator, audited). */
const gateParams = z.object({ id: runId, gate: stepName }).strict();
const decisionBody = z.object({ note: text }).strict();

export const listGates = operation({
  id: "gates.list",
  method: "GET",
  path: "/v1/gates",
  role: "viewer",
  summary: "runs waiting at an approval gate, the longest-waiting first",
  params: none,
  query: z
    .object({ pipeline: z.string().min(1).max(256).optional(), limit: limit(1000, 100) })
    .strict(),
  body: noBody,
  response: gateListSchema,
  async run({ keel }, { query }) {
    const now = Date.now();
    const gates = await keel.gates.list(query);
    return { gates: gates.map((g) => gateJson(g, now)) };
  },
});

export const approveGate = operation({
  id: "gates.approve",
  method: "POST",
  path: "/v1/runs/:id/gates/:gate/approve",
  role: "operator",
  summary: "approve the gate a run waits at: the run goes on at once, the decision its input",
  params: gateParams,
  query: none,
  body: decisionBody,
  response: gateDecisionSchema,
  async run({ keel, actor }, { params, body }) {
    const gate = await keel.gates.approve(params.id, params.gate, { note: body.note, actor });
    return gateJson(gate, Date.now());
  },
});

export const rejectGate = operation({
  id: "gates.reject",
  method: "POST",
  path: "/v1/runs/:id/gates/:gate/reject",
  role: "operator",
  summary: "reject the gate a run waits at: the run is quarantined as gate:<name> with the note",
  params: gateParams,
  query: none,
  body: decisionBody,
  response: gateDecisionSchema,
  async run({ keel, actor }, { params, body }) {
    const gate = await keel.gates.reject(params.id, params.gate, { note: body.note, actor });
    return gateJson(gate, Date.now());
  },
});
