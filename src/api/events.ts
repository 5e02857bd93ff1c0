import type { FastifyReply, FastifyRequest } from "fastify";
import type { Keel } from "../engine/keel.js";
import { redactOutput } from "./redact-output.js";
import { ProgressFeed } from "./progress-feed.js";
import { progressEventJson } from "./wire/events.js";
import { transitionJson } from "./wire/steps.js";

/**
 * `/v1/events`: every transition of every run (or of `?run=ID`) as server-sent events, each with
 * its transition id as the event id, so a client that reconnects with `Last-Event-ID` (or
 * `?after=ID`) misses nothing. Without either it starts at the newest transition. Transitions come
 * from the store, so changes made by other nodes and by the CLI show too. Steps' progress reports
 * stored since the stream opened come as `progress` events, without an id (progress-feed.ts).
 */
const POLL_MS = 200;
const KEEPALIVE_MS = 15_000;
const BATCH = 500;

export interface EventsQuery {
  run?: string;
  after?: number;
}

export async function streamEvents(
  keel: Keel,
  request: FastifyRequest,
  reply: FastifyReply,
  query: EventsQuery,
  /** aborted when the server closes: the stream ends so the close does not wait on it */
  closing: AbortSignal,
  /** security.path_redaction: the stream bypasses the reply's serialization, so it redacts here */
  redact = true,
): Promise<void> {
  const lastEventId = Number(request.headers["last-event-id"]);
  let cursor =
    query.after ??
    (Number.isInteger(lastEventId) && lastEventId >= 0
      ? lastEventId
      : await keel.store.lastTransitionId());
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  out.write(`retry: 1000\n: keel events after ${cursor}\n\n`);

  let closed = false;
  let wake: (() => void) | undefined;
  const nudge = (): void => wake?.();
  keel.on("step", nudge);
  keel.on("settled", nudge);
  keel.on("stepProgress", nudge);
  const progress = new ProgressFeed(keel.store, query.run);
  const stopWatching = keel.store.onWork(nudge);
  const onClose = (): void => {
    closed = true;
    nudge();
  };
  // the response's close, not the request's: the request closes as soon as its (empty) body is read
  out.on("close", onClose);
  closing.addEventListener("abort", onClose);
  let lastWrite = Date.now();
  try {
    while (!closed) {
      const batch = await keel.store.listTransitionsAfter({
        afterId: cursor,
        limit: BATCH,
        runId: query.run,
      });
      for (const t of batch) {
        out.write(
          `id: ${t.id}\nevent: transition\ndata: ${JSON.stringify(redact ? redactOutput(transitionJson(t)) : transitionJson(t))}\n\n`,
        );
        cursor = t.id;
      }
      // progress has no event id: a reconnect resumes transitions, and progress from then on
      const reports = batch.length === BATCH ? [] : await progress.next();
      for (const p of reports)
        out.write(
          `event: progress\ndata: ${JSON.stringify(redact ? redactOutput(progressEventJson(p)) : progressEventJson(p))}\n\n`,
        );
      if (batch.length > 0 || reports.length > 0) lastWrite = Date.now();
      if (batch.length === BATCH) continue;
      if (Date.now() - lastWrite >= KEEPALIVE_MS) {
        out.write(": keepalive\n\n");
        lastWrite = Date.now();
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POLL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    keel.off("step", nudge);
    keel.off("settled", nudge);
    keel.off("stepProgress", nudge);
    stopWatching();
    closing.removeEventListener("abort", onClose);
    // on server close, drop the connection too, or the close waits on the client's keep-alive
    if (closing.aborted) out.destroy();
    else out.end();
  }
}
