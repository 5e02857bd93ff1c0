import { z } from "zod";
import type { JsonValue } from "../../src/core/canonical-json.js";
import { keel } from "../../src/index.js";
import { pipeline, step, type PipelineInput, type PipelineOutput } from "../../src/core/index.js";

const a = step("a", async (_ctx, input: { text: string }) => ({ len: input.text.length }));
const b = step("b", { after: [a] }, (_ctx, deps) => ({ double: deps.a.len * 2 }));
const c = step("c", { after: [a, b] }, (_ctx, deps) => `${deps.a.len}/${deps.b.double}`);
const p = pipeline("typed", [a, b, c]);
export const inputOk: PipelineInput<typeof p> = { text: "x" };
export const out: PipelineOutput<typeof p> = { c: "1/2" };
// @ts-expect-error a number is not the pipeline's input
export const inputBad: PipelineInput<typeof p> = { text: 1 };
// @ts-expect-error only sinks are in the output: b is not one
export const sinkKey: keyof PipelineOutput<typeof p> = "b";
// @ts-expect-error deps carry their output types: b's output has no "len"
step("d", { after: [b] }, (_ctx, deps) => deps.b.len);

// a fallback receives the step's input and must return the step's output type
step(
  "embed",
  {
    after: [a],
    uses: ["embedding-api"],
    fallback: (_ctx, deps, cause) => ({ vector: [deps.a.len], cause: cause.message }),
  },
  async (_ctx, deps) => ({ vector: [deps.a.len * 1.5], cause: "" }),
);
step(
  "embed-plain",
  { uses: ["embedding-api"], fallback: async () => ({ vector: [] as number[] }) },
  async (_ctx, input: { text: string }) => ({ vector: [input.text.length] }),
);
step(
  "embed-bad",
  {
    after: [a],
    // @ts-expect-error the fallback's output must match the step's
    fallback: () => ({ wrong: true }),
  },
  (_ctx, deps) => ({ vector: [deps.a.len] }),
);
step(
  "embed-bad-input",
  {
    after: [a],
    // @ts-expect-error the fallback's input is the step's: deps.a has no "text"
    fallback: (_ctx, deps) => ({ vector: [deps.a.text] }),
  },
  (_ctx, deps) => ({ vector: [deps.a.len] }),
);

// typed results: the run submit returns remembers its pipeline's output type

export async function typedResults(): Promise<void> {
  const k = keel({ pipelines: [p] });
  const run = await k.submit(p, { text: "x" });
  const done = await k.wait(run.id);
  const c: string | undefined = done.output?.c;
  // @ts-expect-error the output of p has c (a string), not b
  void done.output?.b;
  // @ts-expect-error c is a string, not a number
  const cNumber: number | undefined = done.output?.c;
  const viaRun = await k.wait(run);
  const gotten = await k.get(run.id);
  const inspected = await k.inspect(run);
  const outputs: (string | undefined)[] = [
    viaRun.output?.c,
    gotten?.output?.c,
    inspected.run.output?.c,
  ];
  // a run known only by its id string: its output is JSON data, not any
  const byName = await k.wait("run_123");
  const json: JsonValue | null = byName.output;
  // @ts-expect-error JSON data is not a string without a check
  const notString: string = byName.output;
  // submit by name: the pipeline's types are unknown, its output is JSON data
  const named = await k.submit("typed", { text: "x" });
  // @ts-expect-error no output type from a name
  void (await k.wait(named)).output?.c;
  void [c, cNumber, outputs, json, notString];
}

// input schemas: submit takes the schema's input, the step receives its output
const Order = z.object({ customer: z.string(), currency: z.enum(["EUR", "USD"]).default("EUR") });
const bill = step("bill", { input: Order }, (_ctx, order) => {
  const currency: "EUR" | "USD" = order.currency;
  // @ts-expect-error the schema's output has no "amount"
  void order.amount;
  return { currency };
});
const orders = pipeline("orders", [bill]);
export const orderOk: PipelineInput<typeof orders> = { customer: "ada" };
// @ts-expect-error customer is a string in the schema
export const orderBad: PipelineInput<typeof orders> = { customer: 1 };

// a pipeline's schema sets its input type, and must output what its first steps take
const first = step("first", (_ctx, input: { n: number }) => input.n * 2);
const counted = pipeline("counted", [first], { input: z.object({ n: z.coerce.number() }) });
export const countedOk: PipelineInput<typeof counted> = { n: "3" };
// @ts-expect-error the schema outputs { s: string }, the first step takes { n: number }
pipeline("mismatch", [first], { input: z.object({ s: z.string() }) });
