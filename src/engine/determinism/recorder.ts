import type { RecordedFetch, StepRecording } from "../../core/determinism/recording.js";

/**
 * Behind `ctx.now()` and `ctx.fetch`: live, it reads the clock and calls the network and writes
 * down what came back; replaying, it serves what was written down and calls nothing. A replay
 * that asks for more than was recorded (another URL, one call too many) is refused: the step no
 * longer does what it did, and a real call from a sandbox could have side effects.
 */
export interface Recorder {
  now(): number;
  fetch(
    input: string | URL,
    init: RequestInit | undefined,
    traceparent?: string,
  ): Promise<Response>;
  /** what was recorded so far (live), or what is being served (replay) */
  recording(): StepRecording;
}

export class UnrecordedCallError extends Error {
  readonly code = "unrecorded_call";
  constructor(message: string) {
    super(message);
    this.name = "UnrecordedCallError";
  }
}

export function liveRecorder(): Recorder {
  const rec: StepRecording = { now: [], fetch: [] };
  return {
    now() {
      const t = Date.now();
      rec.now.push(t);
      return t;
    },
    async fetch(input, init, traceparent) {
      const request = new Request(input, withTraceparent(init, traceparent));
      const body = requestBody(init);
      const response = await globalThis.fetch(request);
      const bytes = Buffer.from(await response.arrayBuffer());
      const entry: RecordedFetch = {
        request: {
          method: request.method,
          url: request.url,
          ...(body === undefined ? {} : { body }),
        },
        response: {
          status: response.status,
          statusText: response.statusText,
          headers: [...response.headers.entries()],
          body64: bytes.toString("base64"),
        },
      };
      rec.fetch.push(entry);
      return responseOf(entry);
    },
    recording: () => rec,
  };
}

export function replayRecorder(recorded: StepRecording): Recorder {
  let nowAt = 0;
  let fetchAt = 0;
  return {
    now() {
      const t = recorded.now[nowAt] ?? recorded.now[recorded.now.length - 1];
      nowAt++;
      if (t === undefined)
        throw new UnrecordedCallError("ctx.now() was never called when the step was recorded");
      return t;
    },
    fetch(input, init) {
      const request = new Request(input, init);
      const entry = recorded.fetch[fetchAt];
      fetchAt++;
      if (!entry || entry.request.method !== request.method || entry.request.url !== request.url)
        return Promise.reject(
          new UnrecordedCallError(
            `ctx.fetch ${request.method} ${request.url} (call ${fetchAt}) was not recorded${entry ? `; the record has ${entry.request.method} ${entry.request.url}` : ""}`,
          ),
        );
      return Promise.resolve(responseOf(entry));
    },
    recording: () => recorded,
  };
}

function withTraceparent(
  init: RequestInit | undefined,
  traceparent: string | undefined,
): RequestInit | undefined {
  if (traceparent === undefined) return init;
  const headers = new Headers(init?.headers);
  if (!headers.has("traceparent")) headers.set("traceparent", traceparent);
  return { ...init, headers };
}

/** the request body, when it is text: enough to tell two recorded calls apart when reading them */
function requestBody(init: RequestInit | undefined): string | undefined {
  const body = init?.body;
  if (typeof body === "string") return body;
  if (body instanceof URLSearchParams) return body.toString();
  return undefined;
}

function responseOf(entry: RecordedFetch): Response {
  const { status, statusText, headers, body64 } = entry.response;
  const nullBody = status === 204 || status === 205 || status === 304;
  return new Response(nullBody ? null : Buffer.from(body64, "base64"), {
    status,
    statusText,
    headers,
  });
}
