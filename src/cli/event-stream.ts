import { apiError, apiHeaders, type ApiEndpoint } from "./client.js";

/**
 * Reads a node's server-sent events (`text/event-stream`) with fetch and a stream reader: no
 * dependency. `id:`, `event:` and `data:` lines make an event, a blank line ends it, `:` lines are
 * comments (the node's keepalives).
 */
export interface StreamEvent {
  /** the last `id:` seen on the stream (ids carry over to the events after) */
  id: string | null;
  /** `message` unless an `event:` line named it */
  event: string;
  /** the `data:` lines, joined by newlines */
  data: string;
}

export class EventStreamParser {
  private buffer = "";
  private data: string[] = [];
  private event = "";
  private id: string | null = null;

  constructor(private readonly onEvent: (event: StreamEvent) => void) {}

  /** Feeds a chunk of text; calls onEvent for each event it completes. */
  push(chunk: string): void {
    this.buffer += chunk;
    // a "\r" at the end may be the first half of "\r\n": wait for the next chunk
    const complete = this.buffer.endsWith("\r") ? this.buffer.length - 1 : this.buffer.length;
    const lines = this.buffer.slice(0, complete).split(/\r\n|\r|\n/);
    this.buffer = (lines.pop() ?? "") + this.buffer.slice(complete);
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (line === "") {
      if (this.data.length > 0)
        this.onEvent({ id: this.id, event: this.event || "message", data: this.data.join("\n") });
      this.data = [];
      this.event = "";
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
  }
}

/**
 * GETs an event stream of the node and calls onEvent for each event as it arrives. Resolves when
 * the node ends the stream; rejects with the node's error when it refuses the request, and when
 * the connection breaks or `signal` aborts.
 */
export async function readEventStream(
  api: ApiEndpoint,
  path: string,
  query: Record<string, string | number | undefined>,
  signal: AbortSignal,
  onEvent: (event: StreamEvent) => void,
): Promise<void> {
  const url = new URL(path, api.url);
  for (const [key, value] of Object.entries(query))
    if (value !== undefined) url.searchParams.set(key, String(value));
  const response = await fetch(url, {
    headers: { ...apiHeaders(api), accept: "text/event-stream" },
    signal,
  });
  if (!response.ok || !response.body)
    throw apiError(response.status, await response.text(), `GET ${url.pathname}`);
  const parser = new EventStreamParser(onEvent);
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    parser.push(decoder.decode(value, { stream: true }));
  }
}
