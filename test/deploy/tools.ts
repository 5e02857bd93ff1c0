import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

/**
 * A tool from Debian's `prometheus` package (prometheus, promtool). Missing, the test fails and
 * says how to install it: CI installs it (`.ci/run`), and a skipped check would prove nothing.
 */
export function requireTool(name: "prometheus" | "promtool"): string {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const file = join(dir, name);
    if (dir !== "" && existsSync(file)) return file;
  }
  throw new Error(
    `${name} is not installed: apt-get install -y --no-install-recommends prometheus (Debian's package has prometheus and promtool); .ci/run installs it`,
  );
}
