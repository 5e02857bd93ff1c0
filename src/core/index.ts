// core/: pure domain (statuses, transitions, DAG, retry math, errors, JSON data, latency
// histograms). No I/O.
export * from "./errors/index.js";
export * from "./status.js";
export * from "./retry.js";
export * from "./dag.js";
export * from "./pipeline.js";
export * from "./isolation.js";
export * from "./step-context.js";
export * from "./canonical-json.js";
export * from "./ids.js";
export * from "./trace-context.js";
export * from "./duration.js";
export * from "./latency-histogram.js";
export * from "./version.js";
