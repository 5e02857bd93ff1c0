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
