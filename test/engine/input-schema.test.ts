// Input schemas: a pipeline's or a first step's Standard Schema checks the run's input at submit
// (a typed error naming the field; nothing stored), and the step receives the schema's output.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  isInputSchemaError,
  KeelError,
  pipeline,
  step,
  type StandardSchemaV1,
} from "../../src/index.js";
import { useHarness } from "./helpers.js";

const h = useHarness();

const Order = z.object({
  customer: z.string().min(1),
  items: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })).min(1),
  currency: z.enum(["EUR", "USD"]).default("EUR"),
});

/**
 * A Standard Schema written by hand, as a library other than zod would hand one over: async,
 * with path segments as objects, and an output that differs from its input (trimmed, counted).
 */
const Text: StandardSchemaV1<{ text: string }, { text: string; length: number }> = {
  "~standard": {
    version: 1,
    vendor: "hand-written",
    validate: async (value) => {
      await Promise.resolve();
      const text = (value as { text?: unknown } | null)?.text;
      if (typeof text !== "string")
        return { issues: [{ message: "expected a string", path: [{ key: "text" }] }] };
      return { value: { text: text.trim(), length: text.trim().length } };
    },
  },
};

describe("input schemas", () => {
  it("refuses a wrong input at submit, naming the field, and stores nothing", async () => {
    const total = step("total", (_ctx, order: z.output<typeof Order>) => ({
      units: order.items.reduce((n, i) => n + i.qty, 0),
      currency: order.currency,
    }));
    const p = pipeline("orders", [total], { input: Order });
    const k = await h.start({ pipelines: [p] });
    const refused = await k
      .submit(p, {
        customer: "ada",
        items: [
          { sku: "a", qty: 1 },
          { sku: "b", qty: -2 },
        ],
      })
      .catch((e: unknown) => e);
    expect(isInputSchemaError(refused)).toBe(true);
    expect(refused).toMatchObject({ code: "invalid_input" });
    const error = refused as KeelError & { issues: { path: string; message: string }[] };
    expect(error.issues).toEqual([{ path: "$.items[1].qty", message: expect.any(String) }]);
    expect(error.message).toMatch(/pipeline "orders".*\$\.items\[1\]\.qty: /);
    // by name too, and in a batch: one bad input refuses them all
    await expect(k.submit("orders", { customer: "", items: [] } as never)).rejects.toThrow(
      /\$\.customer: .*\$\.items: /,
    );
    await expect(
      k.submitMany(p, [
        { customer: "a", items: [{ sku: "a", qty: 1 }] },
        { customer: "b", items: "none" } as never,
      ]),
    ).rejects.toThrow(/\$\.items: /);
    expect((await k.list()).runs).toHaveLength(0);

    // a right one is stored as the schema outputs it (its default filled in), and runs
    const run = await k.submit(p, { customer: "ada", items: [{ sku: "a", qty: 3 }] });
    expect(run.input).toMatchObject({ currency: "EUR" });
    const done = await k.wait(run.id, { timeoutMs: 5000 });
    expect(done.output).toEqual({ total: { units: 3, currency: "EUR" } });
  });

  it("a first step's schema checks at submit and gives the step its output", async () => {
    const measure = step("measure", { input: Text }, (_ctx, input) => ({
      length: input.length,
      text: input.text,
    }));
    const p = pipeline("measure", [measure]);
    const k = await h.start({ pipelines: [p] });
    const refused = await k.submit(p, { text: 42 } as never).catch((e: unknown) => e);
    expect(isInputSchemaError(refused)).toBe(true);
    expect((refused as Error).message).toMatch(
      /step "measure" of pipeline "measure": \$\.text: expected a string/,
    );
    expect((await k.list()).runs).toHaveLength(0);
    const run = await k.submit(p, { text: "  two words " });
    // stored as given: the step's schema shapes what that step receives
    expect(run.input).toEqual({ text: "  two words " });
    const done = await k.wait(run.id, { timeoutMs: 5000 });
    expect(done.output).toEqual({ measure: { length: 9, text: "two words" } });
  });

  it("refuses a schema that is not one, or one on a step with after, at definition", () => {
    expect(() => step("a", { input: { parse: () => 1 } as never }, () => 1)).toThrow(
      /input must be a Standard Schema/,
    );
    expect(() => pipeline("p", [step("a", () => 1)], { input: z.string as never })).toThrow(
      /input must be a Standard Schema/,
    );
    const a = step("a", () => 1);
    expect(() => step("b", { after: [a], input: Text } as never, () => 1)).toThrow(
      /both input and after/,
    );
  });
});
