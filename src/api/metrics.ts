import type { FastifyInstance } from "fastify";
import type { Keel } from "../engine/keel.js";
import type { HealthLatency } from "../ops/health/latency.js";
import { createMetrics } from "../ops/metrics/registry.js";

/**
 * `GET /metrics`: the node's metrics for Prometheus (docs/metrics.md), in the text format, or in
 * OpenMetrics when the Accept header asks for `application/openmetrics-text`. Outside /v1 and not
 * an operation: its answer is not JSON and the CLI has no use for it. A viewer token is needed
 * unless `metrics.auth` is false, which listenApi allows only on a loopback bind.
 */
export const metricsPath = "/metrics";

export function registerMetrics(
  app: FastifyInstance,
  keel: Keel,
  auth: boolean,
  healthLatency?: HealthLatency,
): void {
  const metrics = createMetrics(keel, { healthLatency });
  app.addHook("onClose", async () => metrics.close());
  app.get(
    metricsPath,
    { config: { role: auth ? "viewer" : null, operation: null } },
    async (request, reply) => {
      const accept = request.headers.accept;
      const body = await metrics.scrape(accept);
      return reply.header("content-type", metrics.contentType(accept)).send(body);
    },
  );
}
