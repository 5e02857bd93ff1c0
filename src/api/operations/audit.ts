import * as z from "zod";
import { none, noBody, operation } from "../operation.js";
import { limit, since } from "../schemas.js";
import { auditPageJson, auditPageSchema } from "../wire/audit.js";

/** The audit log: every change an operator made, through the API or the CLI. */
export const listAudit = operation({
  id: "audit.list",
  method: "GET",
  path: "/v1/audit",
  role: "viewer",
  summary: "audit entries, newest first: who changed what, when and why",
  params: none,
  query: z
    .object({
      since: since.optional(),
      action: z.string().min(1).max(64).optional(),
      limit: limit(1000, 50),
      cursor: z.coerce.number().int().min(1).optional(),
    })
    .strict(),
  body: noBody,
  response: auditPageSchema,
  async run({ keel }, { query }) {
    return auditPageJson(await keel.audit(query));
  },
});
