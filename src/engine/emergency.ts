import type { JsonValue } from "../core/canonical-json.js";
import type { Store } from "../store/store.js";
import { StorePoll } from "./store-poll.js";

/**
 * The store-wide emergency stop. While it is on, no node starts a step: claiming stops and runs
 * in flight start no further step; their steps in flight finish and checkpoint (or, with `abort`,
 * are aborted), and the runs go back to pending untouched. State lives in the store's settings,
 * so every node sees it; each node re-reads it every 50 ms and on every change hint.
 */
export const emergencyKey = "emergency_stop";

export interface EmergencyState {
  on: boolean;
  reason: string | null;
  abort: boolean;
  actor: string | null;
  at: number | null;
}

export const emergencyOff: EmergencyState = Object.freeze({
  on: false,
  reason: null,
  abort: false,
  actor: null,
  at: null,
});

function parseEmergency(value: JsonValue | undefined): EmergencyState {
  if (!value || typeof value !== "object" || Array.isArray(value)) return emergencyOff;
  const v = value as Record<string, JsonValue>;
  return {
    on: v.on === true,
    reason: typeof v.reason === "string" ? v.reason : null,
    abort: v.abort === true,
    actor: typeof v.actor === "string" ? v.actor : null,
    at: typeof v.at === "number" ? v.at : null,
  };
}

export async function readEmergency(store: Store): Promise<EmergencyState> {
  return parseEmergency(await store.getSetting(emergencyKey));
}

export class EmergencyWatch {
  private current: EmergencyState = emergencyOff;
  private readonly poll: StorePoll;

  constructor(
    private readonly store: Store,
    private readonly onChange: (state: EmergencyState) => void,
    pollMs = 50,
  ) {
    this.poll = new StorePoll(() => this.read(), pollMs);
  }

  get state(): EmergencyState {
    return this.current;
  }

  start(): Promise<void> {
    return this.poll.start();
  }

  stop(): void {
    this.poll.stop();
  }

  refresh(): Promise<void> {
    return this.poll.refresh();
  }

  private async read(): Promise<void> {
    const next = await readEmergency(this.store);
    const changed =
      next.on !== this.current.on ||
      next.abort !== this.current.abort ||
      next.at !== this.current.at;
    this.current = next;
    if (changed) this.onChange(next);
  }
}
