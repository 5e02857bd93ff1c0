// The pipeline docs/determinism.md walks through: one step per thing `keel verify` catches, and
// one step that replays cleanly. List this file under `pipelines:` in keel.yaml, submit a run,
// then `keel verify <run> --replays 5`. (Outside this repository, import from "keel" the same way.)
import { readFileSync } from "node:fs";
import { pipeline, step } from "keel";

const here = new URL(".", import.meta.url);
let calls = 0;

export const determinismDemo = pipeline(
  "determinism-demo",
  [
    // replays cleanly: seeded randomness and ids, a recorded clock, a volatile field left out
    step("quote", { volatile: ["generatedAt"] }, (ctx, input) => ({
      id: ctx.uuid(),
      price: Math.round(input.amount * (1 + ctx.random() / 10) * 100) / 100,
      pricedAt: ctx.now(),
      generatedAt: new Date().toISOString(),
    })),
    // SEED_MISMATCH once rates.json changes: replays agree with each other, not with the record
    step("tax", (_ctx, input) => {
      const { tax } = JSON.parse(readFileSync(new URL("rates.json", here), "utf8"));
      return { tax: Math.round(input.amount * tax * 100) / 100 };
    }),
    // VOLATILE_LEAK: a timestamp in the output, not marked volatile
    step("receipt", (_ctx, input) => ({
      amount: input.amount,
      issuedAt: new Date().toISOString(),
    })),
    // UNSEEDED_RNG: Math.random() instead of ctx.random()
    step("sample", (_ctx, input) => ({
      amount: input.amount,
      ticket: Math.floor(Math.random() * 1_000_000),
    })),
    // EXTERNAL_CALL: reads a file outside the module's folder, which no recording covers
    step("host", () => ({ hosts: readFileSync("/etc/hosts", "utf8").split("\n").length > 0 })),
    // DETERMINISM_VIOLATION: state kept in the module between calls
    step("sequence", () => ({ number: ++calls })),
  ],
  { module: import.meta.url },
);
