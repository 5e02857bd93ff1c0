import { createHash } from "node:crypto";
import { checkDag, namePattern, type DagShape } from "./dag.js";
import { PipelineDefinitionError } from "./errors/definition-errors.js";
import { checkPlacement, type Placement } from "./placement.js";
import { isStandardSchema } from "./input-schema.js";
import type { RetryPolicy } from "./retry.js";
import type { StandardSchemaV1 } from "./standard-schema.js";
import type { StepContext } from "./step-context.js";
import { checkVolatile } from "./determinism/volatile-option.js";
import type { VolatilePath } from "./determinism/volatile.js";
import type { ApprovalPolicy } from "./approval-policy.js";

/**
 * Pipeline definition: `step()` makes a step, `pipeline()` checks the graph and fixes a version.
 * Types flow through `after`: a step that runs after steps A and B receives `{ A: outA, B: outB }`;
 * a step with no `after` receives the run's input.
 */
/** where a step's function runs: on the node's event loop, or in a child process of its pool */
export type Isolation = "inline" | "process";
const isolations: readonly string[] = ["inline", "process"];

export interface StepOptions<I = unknown, O = unknown> {
  /** steps this one waits for: step definitions (typed) or names */
  after?: readonly (AnyStep | string)[];
  retry?: Partial<RetryPolicy>;
  /** ms; the step's signal is aborted and the attempt fails as `timeout` */
  timeout?: number;
  /** named dependencies behind circuit breakers: while one is open, the step does not run */
  uses?: readonly string[];
  /** serves a cached or degraded output while a breaker is open, or once retries run out */
  fallback?: FallbackFn<I, O>;
  /** default: the pipeline's, else "inline"; "process" needs the pipeline's `module` */
  isolation?: Isolation;
  /** node capabilities the step needs: only a node offering all of them runs it (docs/cluster.md) */
  requires?: readonly string[];
  /** the node pool whose slots the step takes (a node's `cluster.pools`); default: any node's */
  pool?: string;
  /**
   * a Standard Schema (zod, valibot, arktype...) for the run's input, on a step without `after`:
   * checked at submit, and the step receives the schema's output
   */
  input?: StandardSchemaV1;
  /** output fields that may change between executions (times, ids): left out of hashes and diffs */
  volatile?: readonly string[];
}

export type StepFn<I, O> = (ctx: StepContext, input: I) => O | Promise<O>;
/** `cause`: a BreakerOpenError, or the step's last error after its retries */
export type FallbackFn<I, O> = (
  ctx: StepContext,
  input: I,
  cause: Error,
) => NoInfer<O> | Promise<NoInfer<O>>;

export interface StepDef<
  N extends string = string,
  I = unknown,
  O = unknown,
  RunIn = unknown,
  Deps extends string = string,
> {
  readonly kind: "keel.step";
  readonly name: N;
  readonly after: readonly string[];
  readonly retry: Partial<RetryPolicy> | undefined;
  readonly timeout: number | undefined;
  readonly uses: readonly string[];
  readonly fallback: FallbackFn<I, O> | undefined;
  readonly isolation: Isolation | undefined;
  /** its `requires` and `pool` */
  readonly placement: Placement;
  readonly input: StandardSchemaV1 | undefined;
  /** the `volatile` option, parsed */
  readonly volatile: readonly VolatilePath[];
  /** set on an approval gate (approval-gate.ts): the engine runs it, not `run` */
  readonly approval?: ApprovalPolicy;
  readonly run: StepFn<I, O>;
  /** type-only markers */
  readonly __types?: { input: I; output: O; runInput: RunIn; deps: Deps };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStep = StepDef<string, any, any, any, any>;
type NamedDefs<D extends readonly (AnyStep | string)[]> = Extract<D[number], AnyStep>;
export type DepsInput<D extends readonly (AnyStep | string)[]> = {
  [S in NamedDefs<D> as S["name"]]: NonNullable<S["__types"]>["output"];
};

const knownOptions = new Set([
  "after",
  "retry",
  "timeout",
  "uses",
  "fallback",
  "isolation",
  "requires",
  "pool",
  "input",
  "volatile",
]);
type In<S extends StandardSchemaV1> = StandardSchemaV1.InferInput<S>;
type Out<S extends StandardSchemaV1> = StandardSchemaV1.InferOutput<S>;

export function step<const N extends string, I, O>(
  name: N,
  run: StepFn<I, O>,
): StepDef<N, I, Awaited<O>, I, never>;
export function step<const N extends string, const D extends readonly (AnyStep | string)[], O>(
  name: N,
  options: Omit<StepOptions<DepsInput<D>, Awaited<O>>, "after" | "input"> & { after: D },
  run: StepFn<DepsInput<D>, O>,
): StepDef<N, DepsInput<D>, Awaited<O>, never, NamedDefs<D>["name"] | Extract<D[number], string>>;
// with an input schema: submit takes the schema's input type, the step receives its output type
export function step<const N extends string, S extends StandardSchemaV1, O>(
  name: N,
  options: Omit<StepOptions<Out<S>, Awaited<O>>, "after" | "input"> & { input: S },
  run: StepFn<Out<S>, O>,
): StepDef<N, Out<S>, Awaited<O>, In<S>, never>;
export function step<const N extends string, I, O>(
  name: N,
  options: Omit<StepOptions<I, Awaited<O>>, "after" | "input">,
  run: StepFn<I, O>,
): StepDef<N, I, Awaited<O>, I, never>;
export function step(name: string, a: unknown, b?: unknown): AnyStep {
  const options = (typeof a === "function" ? {} : (a ?? {})) as StepOptions;
  const run = (typeof a === "function" ? a : b) as StepFn<unknown, unknown>;
  if (typeof run !== "function") {
    throw new PipelineDefinitionError(
      "(unassigned)",
      `step "${String(name)}" needs a function (ctx, input) => output`,
      { step: name },
    );
  }
  for (const key of Object.keys(options)) {
    if (!knownOptions.has(key)) {
      throw new PipelineDefinitionError(
        "(unassigned)",
        `step "${name}" has unknown option "${key}"; known options: ${[...knownOptions].join(", ")}`,
        { step: name, option: key },
      );
    }
  }
  if (options.timeout !== undefined && !(Number.isFinite(options.timeout) && options.timeout > 0)) {
    throw new PipelineDefinitionError(
      "(unassigned)",
      `step "${name}" timeout must be a positive number of ms`,
      { step: name },
    );
  }
  checkIsolationValue(`step "${name}"`, options.isolation, { step: name });
  checkStepSchema(name, options);
  const after = (options.after ?? []).map((dep) => (typeof dep === "string" ? dep : dep?.name));
  return Object.freeze({
    kind: "keel.step",
    name,
    after,
    retry: options.retry,
    timeout: options.timeout,
    uses: checkUses(name, options.uses),
    fallback: checkFallback(name, options.fallback),
    isolation: options.isolation,
    placement: checkPlacement(name, options.requires, options.pool),
    input: options.input,
    volatile: checkVolatile(name, options.volatile),
    run,
  }) as AnyStep;
}

function checkStepSchema(step: string, options: StepOptions): void {
  if (options.input === undefined) return;
  if (!isStandardSchema(options.input))
    throw new PipelineDefinitionError(
      "(unassigned)",
      `step "${step}" input must be a Standard Schema (a zod, valibot or arktype schema, or an object with "~standard")`,
      { step, option: "input" },
    );
  if (options.after !== undefined && options.after.length > 0)
    throw new PipelineDefinitionError(
      "(unassigned)",
      `step "${step}" has both input and after: an input schema checks the run's input, which only a step without after receives`,
      { step, option: "input" },
    );
}

function checkUses(step: string, uses: unknown): readonly string[] {
  if (uses === undefined) return Object.freeze([]);
  if (!Array.isArray(uses))
    throw new PipelineDefinitionError(
      "(unassigned)",
      `step "${step}" uses must be a list of dependency names, like uses: ["embedding-api"]`,
      { step },
    );
  for (const name of uses)
    if (typeof name !== "string" || !namePattern.test(name))
      throw new PipelineDefinitionError(
        "(unassigned)",
        `step "${step}" uses ${JSON.stringify(name)}: a dependency name is 1-64 letters, digits, '_', '.', '-'`,
        { step },
      );
  return Object.freeze([...new Set(uses as string[])]);
}

function checkFallback(step: string, fallback: unknown): FallbackFn<unknown, unknown> | undefined {
  if (fallback === undefined || typeof fallback === "function")
    return fallback as FallbackFn<unknown, unknown> | undefined;
  throw new PipelineDefinitionError(
    "(unassigned)",
    `step "${step}" fallback must be a function (ctx, input, cause) => output`,
    { step },
  );
}

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (
  x: infer I,
) => void
  ? I
  : never;
type RunInputOf<S extends readonly AnyStep[]> = UnionToIntersection<
  NonNullable<S[number]["__types"]>["runInput"]
>;
type DepNames<S extends readonly AnyStep[]> = NonNullable<S[number]["__types"]>["deps"];
type SinkSteps<S extends readonly AnyStep[]> = Exclude<S[number], { name: DepNames<S> }>;
export type PipelineOutputOf<S extends readonly AnyStep[]> = {
  [K in SinkSteps<S> as K["name"]]: NonNullable<K["__types"]>["output"];
};

export interface PipelineOptions {
  retry?: Partial<RetryPolicy>;
  timeout?: number;
  /** the default of its steps */
  isolation?: Isolation;
  /**
   * the module that exports this pipeline (`import.meta.url`, or an absolute path): a child
   * process imports it to run the pipeline's isolated steps. Not part of the version.
   */
  module?: string;
  /**
   * a Standard Schema (zod, valibot, arktype...) for the run's input: checked at submit, which
   * refuses a wrong input with InputSchemaError (HTTP 400, CLI exit 2); the run stores its output
   */
  input?: StandardSchemaV1;
}

export interface Pipeline<I = unknown, O = unknown> {
  readonly kind: "keel.pipeline";
  readonly name: string;
  /** hash of the definition: step names, graph, options and code */
  readonly version: string;
  readonly steps: readonly AnyStep[];
  readonly shape: DagShape;
  readonly options: PipelineOptions;
  readonly __types?: { input: I; output: O };
}

export type PipelineInput<P> = P extends Pipeline<infer I, unknown> ? I : never;
export type PipelineOutput<P> = P extends Pipeline<unknown, infer O> ? O : never;

// with an input schema: its output must be what the first steps take; submit takes its input type
export function pipeline<
  const S extends readonly AnyStep[],
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  Schema extends StandardSchemaV1<any, RunInputOf<S>>,
>(
  name: string,
  steps: S,
  options: Omit<PipelineOptions, "input"> & { input: Schema },
): Pipeline<In<Schema>, PipelineOutputOf<S>>;
export function pipeline<const S extends readonly AnyStep[]>(
  name: string,
  steps: S,
  options?: Omit<PipelineOptions, "input">,
): Pipeline<RunInputOf<S>, PipelineOutputOf<S>>;
export function pipeline(
  name: string,
  steps: readonly AnyStep[],
  options: PipelineOptions = {},
): Pipeline {
  if (!Array.isArray(steps))
    throw new PipelineDefinitionError(String(name), "steps must be an array of step() definitions");
  steps.forEach((s, i) => {
    if (s?.kind !== "keel.step")
      throw new PipelineDefinitionError(
        String(name),
        `steps[${i}] is not a step(); build each step with step(name, fn)`,
      );
  });
  const shape = checkDag(name, steps);
  checkIsolationValue("the pipeline", options.isolation, {}, name);
  if (options.module !== undefined && !isModuleLocation(options.module))
    throw new PipelineDefinitionError(
      name,
      `module must be a file: URL or an absolute path (pass import.meta.url), got ${JSON.stringify(options.module)}`,
      { option: "module" },
    );
  if (options.input !== undefined && !isStandardSchema(options.input))
    throw new PipelineDefinitionError(
      name,
      `input must be a Standard Schema (a zod, valibot or arktype schema, or an object with "~standard")`,
      { option: "input" },
    );
  return Object.freeze({
    kind: "keel.pipeline",
    name,
    version: versionOf(name, steps, options),
    steps,
    shape,
    options,
  });
}

function versionOf(name: string, steps: readonly AnyStep[], options: PipelineOptions): string {
  const hash = createHash("sha256");
  // where the module lives is not the definition: filling it in (pipeline-modules) keeps the version
  // a schema is code, not data: its library names it; absent, the version is what it was
  hash.update(
    JSON.stringify({
      name,
      options: { ...options, module: undefined, input: schemaName(options) },
    }),
  );
  for (const s of steps) {
    hash.update(
      JSON.stringify([
        s.name,
        s.after,
        s.retry ?? null,
        s.timeout ?? null,
        s.run.toString(),
        // only when set, so pipelines written before isolation existed keep their versions
        ...(s.isolation ? [s.isolation] : []),
      ]),
    );
    // only when declared, so the versions of pipelines without them stay what they were
    if (s.uses.length > 0 || s.fallback)
      hash.update(JSON.stringify([s.uses, s.fallback?.toString() ?? null]));
    if (s.placement.requires.length > 0 || s.placement.pool !== "")
      hash.update(JSON.stringify(["placement", s.placement.requires, s.placement.pool]));
    if (s.input) hash.update(JSON.stringify(["input", schemaName(s)]));
    if (s.volatile.length > 0) hash.update(JSON.stringify(s.volatile));
    if (s.approval) hash.update(JSON.stringify(["approval", s.approval]));
  }
  return hash.digest("hex").slice(0, 16);
}

function schemaName(of: { input?: StandardSchemaV1 | undefined }): string | undefined {
  return of.input?.["~standard"].vendor;
}

function checkIsolationValue(
  what: string,
  value: unknown,
  details: Record<string, unknown>,
  pipelineName = "(unassigned)",
): void {
  if (value !== undefined && !isolations.includes(value as string))
    throw new PipelineDefinitionError(
      pipelineName,
      `${what} has isolation ${JSON.stringify(value)}; use "inline" or "process"`,
      { ...details, option: "isolation" },
    );
}

function isModuleLocation(value: unknown): boolean {
  return typeof value === "string" && /^(file:\/\/|\/|[A-Za-z]:[\\/])/.test(value);
}

export function isPipeline(value: unknown): value is Pipeline {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { kind?: unknown }).kind === "keel.pipeline"
  );
}
