import type { JsonValue } from "../core/canonical-json.js";
import type { Store } from "../store/store.js";

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

export function parseEmergency(value: JsonValue | undefined): EmergencyState {
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
  private timer: NodeJS.Timeout | undefined;
  private reading = false;

  constructor(
    private readonly store: Store,
    private readonly onChange: (state: EmergencyState) => void,
    private readonly pollMs = 50,
  ) {}

  get state(): EmergencyState {
    return this.current;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async refresh(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const next = await readEmergency(this.store);
      const changed =
        next.on !== this.current.on ||
        next.abort !== this.current.abort ||
        next.at !== this.current.at;
      this.current = next;
      if (changed) this.onChange(next);
    } catch {
      // the store is unreachable: keep the last known state; the next poll tries again
    } finally {
      this.reading = false;
    }
  }
}
