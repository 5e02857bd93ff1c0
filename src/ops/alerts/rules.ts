import type { AlertLabels } from "../../store/alerts.js";
import type { AlertsConfig } from "./alert-config.js";
import {
  alertRuleIds,
  ruleDefaults,
  type AlertRuleId,
  type AlertSeverity,
} from "./rule-defaults.js";

/** A rule as the evaluator runs it: its defaults with keel.yaml's overrides applied. */
export interface ResolvedRule {
  id: AlertRuleId;
  enabled: boolean;
  threshold: number;
  unit: string;
  forMs: number;
  windowMs: number;
  severity: AlertSeverity;
  labels: AlertLabels;
  description: string;
}

export function resolveRules(config: Pick<AlertsConfig, "rules">): ResolvedRule[] {
  return alertRuleIds.map((id) => {
    const d = ruleDefaults[id];
    const o = config.rules[id] ?? {};
    return {
      id,
      enabled: o.enabled ?? true,
      threshold: o.threshold ?? d.threshold,
      unit: d.unit,
      forMs: o.for ?? d.forMs,
      windowMs: o.window ?? d.windowMs,
      severity: o.severity ?? d.severity,
      labels: o.labels ?? {},
      description: d.description,
    };
  });
}
