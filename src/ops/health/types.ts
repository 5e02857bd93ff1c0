/**
 * Health in three levels, worst wins. Each component check is a plain function over the store,
 * paths and a clock, so the CLI and a later HTTP /health share them.
 */
export type HealthStatus = "healthy" | "degraded" | "unhealthy";

export interface ComponentHealth {
  component: string;
  status: HealthStatus;
  reason: string;
  /** figures behind the verdict (ages in ms, ratios, counts) */
  details: Record<string, unknown>;
}

const rank: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

export function worst(statuses: HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>((a, b) => (rank[b] > rank[a] ? b : a), "healthy");
}

export type Clock = () => number;
