import type {
  AlertDeliveryRecord,
  AlertEventQuery,
  AlertEventRecord,
  AlertLease,
  AlertQueueSummary,
  AlertSilenceRecord,
  AlertStateChange,
  AlertStateRecord,
  DeliveryOutcome,
  NewAlertDelivery,
} from "./alerts.js";
import type { OperatorChange, ReasonedChange } from "./operator-change.js";

/**
 * Alerts keel evaluates itself: each rule's state and its history, operators' silences, the
 * evaluator's lease, and the durable webhook outbox (docs/alerts.md).
 */
export interface AlertStore {
  /** every rule that ever left "inactive", by rule */
  listAlertStates(): Promise<AlertStateRecord[]>;
  /**
   * Moves a rule's state if the store still holds `change.from`, records the event and queues
   * `deliveries`, in one transaction. Null when the state had moved meanwhile (another evaluator
   * recorded it): nothing is written.
   */
  changeAlertState(
    change: AlertStateChange,
    deliveries: readonly NewAlertDelivery[],
  ): Promise<AlertEventRecord | null>;
  /** events, newest first */
  listAlertEvents(query: AlertEventQuery): Promise<AlertEventRecord[]>;
  /**
   * Records an event that changes no state (a test notification: `to` = "test") and queues its
   * deliveries; with `audit`, audited in the same transaction.
   */
  recordAlertNotice(
    change: AlertStateChange,
    deliveries: readonly NewAlertDelivery[],
    audit?: OperatorChange,
  ): Promise<AlertEventRecord>;

  listAlertSilences(): Promise<AlertSilenceRecord[]>;
  /** silences a rule until `until` (replacing an earlier silence), audited when change.audit is set */
  silenceAlert(rule: string, until: number, change: ReasonedChange): Promise<AlertSilenceRecord>;
  /** ends a rule's silence; the silence it ended, or undefined when there was none */
  unsilenceAlert(rule: string, change: OperatorChange): Promise<AlertSilenceRecord | undefined>;

  /**
   * Takes or renews the evaluator's lease for `ttlMs` (on the lease clock); returns who holds it
   * now, so the caller knows whether it is the evaluator.
   */
  acquireAlertLease(holder: string, now: number, ttlMs: number): Promise<AlertLease>;
  /** hands the lease back (a node that stops): another node takes it at its next try */
  releaseAlertLease(holder: string): Promise<void>;
  /** who holds the lease, expired or not; undefined when nobody took it yet */
  getAlertLease(): Promise<AlertLease | undefined>;

  /** the head of each receiver's queue whose next attempt is due at `now`, oldest first */
  dueAlertDeliveries(now: number, limit: number): Promise<AlertDeliveryRecord[]>;
  /** what became of an attempt; a delivery no longer queued is left alone */
  finishAlertDelivery(id: number, outcome: DeliveryOutcome): Promise<void>;
  /** each receiver with deliveries queued: how many, and its head */
  alertQueues(): Promise<AlertQueueSummary[]>;
  getAlertDelivery(deliveryId: string): Promise<AlertDeliveryRecord | undefined>;
  /** deletes deliveries delivered or dropped before `before` (epoch ms); how many */
  pruneAlertOutbox(before: number): Promise<number>;
}
