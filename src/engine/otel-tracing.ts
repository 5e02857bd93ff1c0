import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Context,
  type Span,
} from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { newTraceId } from "../core/ids.js";
import { formatTraceparent, newSpanId, parseTraceparent } from "../core/trace-context.js";
import { keelVersion } from "../core/version.js";
import type { RunRecord } from "../store/records.js";
import type { RunSpan, SpanAttributes, StepSpan, Tracing, TracingOptions } from "./tracing.js";

/**
 * Tracing with the OpenTelemetry SDK, exported over OTLP/HTTP (JSON) in batches. Nothing is
 * registered globally: a pipeline's own OpenTelemetry setup is left as it is. A run's spans take
 * the run's trace id (the caller's, when submitted with a traceparent), so every node that
 * executes the run, and every retry, adds to one trace.
 */
export function otelTracing(options: TracingOptions): Tracing {
  // a root span's trace id comes from the id generator: the run's id is handed to it just before
  let nextTraceId: string | undefined;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      "service.name": options.serviceName ?? "keel",
      "service.version": keelVersion,
    }),
    idGenerator: {
      generateTraceId: () => {
        const id = nextTraceId ?? newTraceId();
        nextTraceId = undefined;
        return id;
      },
      generateSpanId: newSpanId,
    },
    spanProcessors: [
      new BatchSpanProcessor(
        new OTLPTraceExporter({ url: options.otlpUrl, headers: options.headers ?? {} }),
        { scheduledDelayMillis: 1000 },
      ),
    ],
  });
  const tracer = provider.getTracer("keel", keelVersion);

  return {
    startRun(run: RunRecord, nodeId: string): RunSpan {
      const attributes = {
        "keel.run_id": run.id,
        "keel.pipeline": run.pipeline,
        "keel.pipeline_version": run.pipelineVersion,
        "keel.node_id": nodeId,
      };
      const parent = callerContext(run);
      if (parent === ROOT_CONTEXT) nextTraceId = run.traceId;
      const span = tracer.startSpan(
        `run ${run.pipeline}`,
        { kind: SpanKind.CONSUMER, attributes },
        parent,
      );
      nextTraceId = undefined;
      const inRun = trace.setSpan(ROOT_CONTEXT, span);
      return {
        startStep: (step, attempt) =>
          stepSpan(
            tracer.startSpan(
              `step ${step}`,
              { attributes: { ...attributes, "keel.step": step, "keel.attempt": attempt } },
              inRun,
            ),
          ),
        event: (name, attrs) => span.addEvent(name, attrs),
        end: (outcome, error) => {
          span.setAttribute("keel.outcome", outcome);
          if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
          span.end();
        },
      };
    },
    shutdown: () => provider.shutdown(),
  };
}

function stepSpan(span: Span): StepSpan {
  const sc = span.spanContext();
  return {
    traceparent: formatTraceparent(sc.traceId, sc.spanId, (sc.traceFlags & 1) === 1),
    event: (name, attrs?: SpanAttributes) => span.addEvent(name, attrs),
    fail: (message, attrs) => {
      span.addEvent("exception", { "exception.message": message, ...attrs });
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    },
    end: () => span.end(),
  };
}

/** the caller's span, when the run was submitted with a traceparent; else none (a root span) */
function callerContext(run: RunRecord): Context {
  if (!run.traceParent) return ROOT_CONTEXT;
  try {
    const p = parseTraceparent(run.traceParent);
    return trace.setSpanContext(ROOT_CONTEXT, {
      traceId: p.traceId,
      spanId: p.spanId,
      traceFlags: p.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
      isRemote: true,
    });
  } catch {
    return ROOT_CONTEXT;
  }
}
