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
