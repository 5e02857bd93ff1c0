// A `keel start --foreground` child for the cases that kill a node: its keel.yaml and argv.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { rootDir } from "./common.mjs";

/**
 * Writes HOME/keel.yaml (pipeline modules, worker concurrency, log level warn, `node:` settings
 * such as lease_ms) and returns the arguments for `node` that start a node on HOME with it.
 */
export function keelStartArgs(home, { pipelines, concurrency, node = {} }) {
  const config = join(home, "keel.yaml");
  const nodeLines = Object.entries(node).map(([key, value]) => `  ${key}: ${value}`);
  writeFileSync(
    config,
    [
      `pipelines: [${pipelines.map((p) => JSON.stringify(p)).join(", ")}]`,
      "workers:",
      `  concurrency: ${concurrency}`,
      "log:",
      "  level: warn",
      ...(nodeLines.length > 0 ? ["node:", ...nodeLines] : []),
      "",
    ].join("\n"),
  );
  return [
    join(rootDir, "bin", "keel.js"),
    "start",
    "--foreground",
    "--home",
    home,
    "--config",
    config,
  ];
}
