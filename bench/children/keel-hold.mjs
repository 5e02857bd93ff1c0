// Pipeline module for the keel node the crash case kills: its one step announces itself and holds.
import { pipeline, step } from "../../dist/src/index.js";

export const hold = pipeline("hold", [
  step("hold", async (ctx, input) => {
    process.stdout.write(`started ${input.key}\n`);
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 600_000);
      ctx.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
    });
    return null;
  }),
]);
