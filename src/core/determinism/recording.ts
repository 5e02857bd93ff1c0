/**
 * What a step's recorded helpers saw, kept with its checkpoint: the times `ctx.now()` returned and
 * the responses `ctx.fetch` received, in call order. A replay serves them back instead of reading
 * the clock or calling the network.
 */
export interface RecordedFetch {
  request: { method: string; url: string; body?: string };
  response: {
    status: number;
    statusText: string;
    headers: [string, string][];
    /** the body, base64: a response need not be text */
    body64: string;
  };
}

export interface StepRecording {
  now: number[];
  fetch: RecordedFetch[];
}

export function isEmptyRecording(r: StepRecording): boolean {
  return r.now.length === 0 && r.fetch.length === 0;
}

/** A recording read back from the store, checked: anything else reads as none. */
export function asRecording(value: unknown): StepRecording {
  const v = value as Partial<StepRecording> | null;
  return {
    now: Array.isArray(v?.now) ? v.now.filter((n): n is number => typeof n === "number") : [],
    fetch: Array.isArray(v?.fetch) ? v.fetch : [],
  };
}
