import { untraced, type Tracing, type TracingOptions } from "./tracing.js";

/** The tracing `options` ask for: the SDK is imported only when there is somewhere to export. */
export async function loadTracing(options: TracingOptions | undefined): Promise<Tracing> {
  if (!options?.otlpUrl) return untraced;
  const { otelTracing } = await import("./otel-tracing.js");
  return otelTracing(options);
}
