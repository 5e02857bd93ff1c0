import { formatTraceparent, newSpanId, parseTraceparent } from "../core/trace-context.js";
import type { RunRecord } from "../store/records.js";

/**
 * Spans of runs and steps. A node has one Tracing: the OpenTelemetry one (otel-tracing.ts, loaded
 * only when `tracing.otlp_url` is set) or `untraced`, which records nothing and only hands each
 * step a traceparent in the run's trace, so calls it makes still carry the trace id.
 */
export interface TracingOptions {
  /** OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces */
  otlpUrl: string;
  /** `service.name` of the spans; default "keel" */
  serviceName?: string;
  /** extra headers of each export (an API key of a hosted collector) */
  headers?: Record<string, string>;
}

export type SpanAttributes = Record<string, string | number | boolean>;

export interface Tracing {
  /** one execution of a run on this node: a resumed run continues the same trace */
  startRun(run: RunRecord, nodeId: string): RunSpan;
  /** exports what is buffered and stops (the node's stop) */
  shutdown(): Promise<void>;
}

export interface RunSpan {
  startStep(step: string, attempt: number): StepSpan;
  event(name: string, attributes?: SpanAttributes): void;
  /** `error` marks the span failed with that message */
  end(outcome: string, error?: string): void;
}

export interface StepSpan {
  /** the W3C header of this span: ctx.traceparent */
  readonly traceparent: string;
  event(name: string, attributes?: SpanAttributes): void;
  fail(message: string, attributes?: SpanAttributes): void;
  end(): void;
}

/** the sampled flag a run's spans inherit: the caller's, else off when nothing is exported */
function callerSampled(run: RunRecord): boolean {
  if (!run.traceParent) return false;
  try {
    return parseTraceparent(run.traceParent).sampled;
  } catch {
    return false;
  }
}

export const untraced: Tracing = {
  startRun(run) {
    const quiet = (): void => {};
    return {
      // made when a step reads ctx.traceparent: most never do
      startStep: () => ({
        get traceparent() {
          return formatTraceparent(run.traceId, newSpanId(), callerSampled(run));
        },
        event: quiet,
        fail: quiet,
        end: quiet,
      }),
      event: quiet,
      end: quiet,
    };
  },
  shutdown: () => Promise.resolve(),
};
