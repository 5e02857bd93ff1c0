import * as z from "zod";
import { doctorCheckNames, runDoctor, type DoctorReport } from "../../ops/doctor/index.js";
import { doctorContext } from "../../ops/doctor/context.js";
import { applyFixes } from "../../ops/doctor/fixes.js";
import { defaultDoctorSettings } from "../../ops/doctor/types.js";
import { none, noBody, operation, type OperationContext } from "../operation.js";
import { doctorFixSchema, doctorJson, doctorSchema, fixesJson } from "../wire/doctor.js";
import { optionalBody } from "../schemas.js";

/** `keel doctor`: every check (or some), and the safe fixes the findings name. */
const onlyChecks = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter(Boolean))
  .superRefine((names, ctx) => {
    const unknown = names.filter((n) => !doctorCheckNames.includes(n));
    if (unknown.length > 0)
      ctx.addIssue({
        code: "custom",
        message: `unknown check ${unknown.map((n) => `"${n}"`).join(", ")}; checks: ${doctorCheckNames.join(", ")}`,
      });
  });

async function examine(ctx: OperationContext, only: string[] | undefined): Promise<DoctorReport> {
  const context = doctorContext({
    home: ctx.home,
    store: ctx.keel.store,
    live: ctx.node,
    settings: ctx.doctor,
  });
  return runDoctor(context, only && only.length > 0 ? only : undefined);
}

export const doctor = operation({
  id: "doctor",
  method: "GET",
  path: "/v1/doctor",
  role: "viewer",
  summary: "what is wrong, the figures behind it, and the commands that fix it",
  params: none,
  query: z.object({ only: onlyChecks.optional() }).strict(),
  body: noBody,
  response: doctorSchema,
  async run(ctx, { query }) {
    return doctorJson(await examine(ctx, query.only));
  },
});

export const doctorFix = operation({
  id: "doctor.fix",
  method: "POST",
  path: "/v1/doctor/fix",
  role: "operator",
  summary: "run the checks and apply their safe, reversible fixes, each audited",
  params: none,
  query: none,
  body: optionalBody({ only: onlyChecks.optional() }),
  response: doctorFixSchema,
  async run(ctx, { body }) {
    const report = await examine(ctx, body?.only);
    const applied = await applyFixes(report.findings, {
      keel: ctx.keel,
      home: ctx.home,
      actor: ctx.actor,
      backupKeep: (ctx.doctor ?? defaultDoctorSettings).backupKeep,
    });
    return fixesJson(report, applied);
  },
});
