import type { Logger } from "pino";
import type { AlertStateRecord, NewAlertDelivery } from "../../store/alerts.js";
import type { Store } from "../../store/store.js";
import { conditions, type AlertFigures, type Finding } from "./conditions/index.js";
import { deliveryIdOf, type AlertNotification } from "./payload.js";
import { routeAlert, type Receiver } from "./receivers.js";
import type { ResolvedRule } from "./rules.js";
import { isNotified, nextAlertState } from "./transition.js";

export const evaluatorActor = "keel:alerts";

/**
 * One evaluation of every enabled rule: each condition is read, the state machine says whether the
 * rule's state moves, and a move is recorded with the deliveries it queues (firing and resolved,
 * to the receivers its severity and labels route to, unless the rule is silenced) in one write.
 * A condition that throws is logged and leaves its rule as it was.
 */
export async function evaluateRules(
  store: Store,
  rules: readonly ResolvedRule[],
  receivers: readonly Receiver[],
  figures: AlertFigures,
  log: Logger,
): Promise<number> {
  const now = figures.now;
  const states = new Map((await store.listAlertStates()).map((s) => [s.rule, s]));
  const silences = new Map((await store.listAlertSilences()).map((s) => [s.rule, s]));
  let changes = 0;
  for (const rule of rules) {
    const current = states.get(rule.id);
    const state = current?.state ?? "inactive";
    let finding: Finding;
    if (!rule.enabled) finding = { holds: false, value: null, summary: "rule disabled" };
    else
      try {
        finding = await conditions[rule.id](figures, rule);
      } catch (error) {
        log.warn({ rule: rule.id, err: error }, "alert condition failed; rule left as it was");
        continue;
      }
    const to = nextAlertState(state, current?.since ?? now, finding.holds, rule.forMs, now);
    if (to === null) continue;
    const labels = { ...rule.labels, ...finding.labels, rule: rule.id, severity: rule.severity };
    const silenced = (silences.get(rule.id)?.until ?? 0) > now;
    const payload = (receiver: Receiver): NewAlertDelivery => {
      const deliveryId = deliveryIdOf(rule.id, to, now, receiver.name);
      const body: AlertNotification = {
        version: 1,
        delivery_id: deliveryId,
        rule: rule.id,
        state: to,
        severity: rule.severity,
        summary: finding.summary,
        value: finding.value,
        threshold: rule.threshold,
        labels,
        since: new Date(now).toISOString(),
        test: false,
      };
      return { deliveryId, receiver: receiver.name, payload: body as never };
    };
    const deliveries =
      isNotified(to) && !silenced
        ? routeAlert(receivers, rule.severity, labels)
            // a receiver that fails is not told that it fails: the others are
            .filter((r) => r.name !== finding.labels?.receiver)
            .map(payload)
        : [];
    const event = await store.changeAlertState(
      {
        rule: rule.id,
        from: state,
        to,
        at: now,
        value: finding.value,
        summary: finding.summary,
        severity: rule.severity,
        labels,
        actor: evaluatorActor,
      },
      deliveries,
    );
    if (!event) continue;
    changes += 1;
    const level = to === "firing" ? "warn" : "info";
    log[level](
      { rule: rule.id, from: state, to, value: finding.value, queued: event.queued, silenced },
      `alert ${rule.id} ${to}: ${finding.summary}`,
    );
  }
  return changes;
}

export type { AlertStateRecord };
