import * as z from "zod";
import { maxDurationMs, parseDurationMs } from "../../core/duration.js";
import { alertRuleIds, alertSeverities, type AlertRuleId } from "./rule-defaults.js";

/** "5m", "90s", or a number of ms */
const duration = z
  .union([z.string().min(1), z.number().int().min(0).max(maxDurationMs)])
  .superRefine((value, ctx) => {
    if (typeof value !== "string") return;
    try {
      parseDurationMs(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
    }
  })
  .transform((value) => (typeof value === "string" ? parseDurationMs(value) : value));

const labelName = /^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/;
const labels = z.record(
  z.string().regex(labelName, "a label name: letters, digits and _, not starting with a digit"),
  z.string().max(256),
);

/** one rule's overrides of its defaults (rule-defaults.ts) */
const rule = z
  .object({
    enabled: z.boolean().optional(),
    threshold: z.number().min(0).optional(),
    for: duration.optional(),
    window: duration.optional(),
    severity: z.enum(alertSeverities).optional(),
    labels: labels.optional(),
  })
  .strict();

const receiver = z
  .object({
    url: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).max(2048),
    format: z.enum(["generic", "slack"]).default("generic"),
    /** the name of the environment variable holding the HMAC secret */
    secret_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable's name")
      .optional(),
    /** a file holding the HMAC secret (relative to the config file) */
    secret_file: z.string().min(1).optional(),
    /** only alerts of these severities (default: all) */
    severities: z.array(z.enum(alertSeverities)).min(1).optional(),
    /** only alerts carrying every one of these labels with these values */
    match: labels.optional(),
    /** how long one attempt may take before it counts as failed (ms) */
    timeout_ms: z.number().int().min(100).max(120_000).default(5000),
  })
  .strict()
  .superRefine((r, ctx) => {
    if ((r.secret_env === undefined) === (r.secret_file === undefined))
      ctx.addIssue({
        code: "custom",
        path: ["secret_env"],
        message:
          "give one of secret_env (the name of an environment variable) or secret_file (a file): the HMAC secret every delivery is signed with",
      });
  });

const defaultDelivery = {
  base_delay_ms: 1000,
  max_delay_ms: 300_000,
  drop_after_ms: 7 * 86_400_000,
  drain_ms: 1000,
};

/** keel.yaml `alerts:` (docs/alerts.md) */
export const alertsConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** how often the evaluator checks every rule (ms) */
    interval_ms: z.number().int().min(100).max(3_600_000).default(15_000),
    /** the evaluator's lease: another node takes over this long after the evaluator died (ms) */
    lease_ms: z.number().int().min(500).max(3_600_000).default(30_000),
    rules: z
      .object(
        Object.fromEntries(alertRuleIds.map((id) => [id, rule.optional()])) as Record<
          AlertRuleId,
          z.ZodOptional<typeof rule>
        >,
      )
      .strict()
      .default({}),
    receivers: z
      .record(
        z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "a receiver name: letters, digits, . _ -"),
        receiver,
      )
      .default({}),
    delivery: z
      .object({
        /** the first retry's delay; each next one doubles, up to max_delay_ms, with jitter */
        base_delay_ms: z
          .number()
          .int()
          .min(10)
          .max(3_600_000)
          .default(defaultDelivery.base_delay_ms),
        max_delay_ms: z
          .number()
          .int()
          .min(10)
          .max(86_400_000)
          .default(defaultDelivery.max_delay_ms),
        /** a delivery still failing this long after it was queued is dropped (and counted) */
        drop_after_ms: z
          .number()
          .int()
          .min(60_000)
          .max(365 * 86_400_000)
          .default(defaultDelivery.drop_after_ms),
        /** how often the outbox looks for deliveries due (ms) */
        drain_ms: z.number().int().min(50).max(600_000).default(defaultDelivery.drain_ms),
      })
      .strict()
      .default(defaultDelivery),
  })
  .strict()
  .default({
    enabled: true,
    interval_ms: 15_000,
    lease_ms: 30_000,
    rules: {},
    receivers: {},
    delivery: defaultDelivery,
  })
  .superRefine((a, ctx) => {
    for (const [name, r] of Object.entries(a.receivers))
      if (r.timeout_ms * 2 > a.lease_ms)
        ctx.addIssue({
          code: "custom",
          path: ["receivers", name, "timeout_ms"],
          message: `timeout_ms (${r.timeout_ms}) must be at most half of alerts.lease_ms (${a.lease_ms}): the evaluator must renew its lease between two attempts`,
        });
    if (a.lease_ms < 2 * a.delivery.drain_ms)
      ctx.addIssue({
        code: "custom",
        path: ["lease_ms"],
        message: `lease_ms (${a.lease_ms}) must be at least twice delivery.drain_ms (${a.delivery.drain_ms}): the evaluator renews its lease at each drain`,
      });
  });

export type AlertsConfig = z.infer<typeof alertsConfigSchema>;
export type ReceiverConfig = AlertsConfig["receivers"][string];
