// Pipeline module for the recovery bench's node-kill scenario, loaded both by the `keel start`
// child it kills and by the surviving node in the bench process (so both have the same pipeline
// version): a quick step, then one that holds KEEL_BENCH_HOLD_MS (default 1000 ms). The child is
// given a hold longer than the trial, so the kill can land at any moment of the survivor's
// recovery sweep.
import { pipeline, step } from "../../dist/src/index.js";

const holdMs = Number(process.env.KEEL_BENCH_HOLD_MS ?? 1000);

const prep = step("prep", (_ctx, input) => ({ key: input.key }));
const hold = step("hold", { after: [prep] }, async (ctx, deps) => {
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, holdMs);
    ctx.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
  return { held: deps.prep.key };
});

export const holdBriefly = pipeline("hold-briefly", [prep, hold]);
