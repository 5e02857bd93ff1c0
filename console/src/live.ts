import { headersFor } from "./api.js";
import type { TransitionJson } from "./wire.js";

/**
 * The node's event stream (`/v1/events`, server-sent events) read with fetch, because EventSource
 * cannot send a token. A dropped stream reconnects with backoff from the last event seen
 * (Last-Event-ID), so nothing in between is missed.
 */
export type LiveState = "connecting" | "live" | "reconnecting" | "closed";

export interface LiveOptions {
  token: string;
  onTransition: (t: TransitionJson) => void;
  onState: (state: LiveState) => void;
  /** 401/403: the token is gone */
  onRefused: () => void;
}

export function followEvents(options: LiveOptions): () => void {
  const abort = new AbortController();
  let lastId: string | null = null;
  let delay = 500;
  const run = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      options.onState(lastId === null ? "connecting" : "reconnecting");
      try {
        const headers = headersFor(options.token, false);
        if (lastId !== null) headers["last-event-id"] = lastId;
        const response = await fetch("/v1/events", { headers, signal: abort.signal });
        if (response.status === 401 || response.status === 403) {
          options.onRefused();
          return;
        }
        if (!response.ok || !response.body) throw new Error(`events answered ${response.status}`);
        options.onState("live");
        delay = 500;
        await readStream(response.body, (id, data) => {
          if (id) lastId = id;
          try {
            options.onTransition(JSON.parse(data) as TransitionJson);
          } catch {
            // a comment or a keepalive
          }
        });
      } catch {
        if (abort.signal.aborted) break;
      }
      options.onState("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 10_000);
    }
    options.onState("closed");
  };
  void run();
  return () => abort.abort();
}

async function readStream(
  body: ReadableStream<Uint8Array>,
  onEvent: (id: string | null, data: string) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id: string | null = null;
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("id: ")) id = line.slice(4);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (data.length > 0) onEvent(id, data.join("\n"));
    }
  }
}
