import * as z from "zod";
import { checkHealth, healthComponents, type HealthComponent } from "../../ops/health/index.js";
import { readStatus } from "../../ops/status.js";
import { none, noBody, operation, type OperationContext } from "../operation.js";
import { flag } from "../schemas.js";
import { healthJson, healthSchema } from "../wire/health.js";
import { sourceJson } from "../wire/sources.js";
import { adaptiveJson, diskJson, retentionJson, statusJson, statusSchema } from "../wire/status.js";

/** The node and its store at a glance: status and health. */
export const status = operation({
  id: "status",
  method: "GET",
  path: "/v1/status",
  role: "viewer",
  summary: "the node (workers busy and idle, uptime), the store's nodes, runs by status, sources",
  params: none,
  query: z.object({ verbose: flag.default(false) }).strict(),
  body: noBody,
  response: statusSchema,
  async run(ctx, { query }) {
    const now = Date.now();
    const report = await readStatus(ctx.home, now);
    const sources = (await ctx.keel.listSources()).map(sourceJson);
    return {
      ...statusJson(report, query.verbose, now),
      workers: workers(ctx, now),
      disk: ctx.node?.disk ? diskJson(ctx.node.disk) : null,
      retention: ctx.node?.retention ? retentionJson(ctx.node.retention) : null,
      sources: sources.map((s) => ({
        name: s.name,
        kind: s.kind,
        pipeline: s.pipeline,
        paused: s.paused,
        pause_reason: s.pause_reason,
        next_tick_at: s.next_tick_at,
      })),
    };
  },
});

/** live figures exist only when a node answers; in-process on the store they are null */
function workers(ctx: OperationContext, now: number) {
  if (!ctx.node) return null;
  const processes = ctx.node.workerProcesses ?? [];
  const w = ctx.node.workers;
  const limit = w?.limit ?? ctx.node.concurrency;
  return {
    node_id: ctx.node.nodeId ?? null,
    pid: ctx.node.pid,
    concurrency: ctx.node.concurrency,
    limit,
    busy: ctx.node.busy,
    idle: Math.max(0, limit - ctx.node.busy),
    claimed_ahead: ctx.node.claimedAhead ?? 0,
    uptime_ms: now - ctx.node.startedAt,
    // the pool's child processes for isolated steps (docs/pipelines.md#process-isolation)
    pids: processes.map((p) => p.pid),
    processes: processes.map((p) => ({
      pid: p.pid,
      state: p.state,
      busy: p.busy,
      run_id: p.runId,
      step: p.step,
    })),
    ...(w ? adaptiveJson(w) : {}),
  };
}

export const health = operation({
  id: "health",
  method: "GET",
  path: "/v1/health",
  role: "viewer",
  summary:
    "health per component (store, node, queue, disk, breakers, workers, scheduler): healthy, degraded or unhealthy",
  params: none,
  query: z
    .object({
      component: z.enum(healthComponents).optional(),
      verbose: flag.default(false),
    })
    .strict(),
  body: noBody,
  response: healthSchema,
  async run(ctx, { query }) {
    const components: HealthComponent[] | undefined = query.component
      ? [query.component]
      : undefined;
    return healthJson(
      await checkHealth(ctx.home, {
        components,
        live: ctx.node,
        diskThresholds: ctx.diskThresholds,
      }),
      query.verbose,
      ctx.healthLatency?.summary(),
    );
  },
});
