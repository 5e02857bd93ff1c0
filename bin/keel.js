#!/usr/bin/env node
// The keel command. The TypeScript sources are compiled to dist/ by `npm install` (prepare), and
// the CLI bundled from them into dist/cli/ (scripts/bundle-cli.mjs) so it starts quickly.
import { existsSync } from "node:fs";
import module from "node:module";

// Node 22.1+ keeps the compiled code of the modules loaded from here on between runs, in
// $NODE_COMPILE_CACHE or else <os tmpdir>/node-compile-cache (NODE_DISABLE_COMPILE_CACHE=1 turns
// it off); Node 20 has no such cache and starts as before
module.enableCompileCache?.();

const unbundled = new URL("../dist/src/cli/main.js", import.meta.url);
const bundled = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(unbundled)) {
  process.stderr.write("keel is not built yet: run `npm run build` in the keel folder\n");
  process.exit(1);
}
// a build from before the bundle, or one whose bundling was skipped, runs unbundled
if (existsSync(bundled)) {
  const { main } = await import(bundled.href);
  await main(process.argv, { unbundledMain: unbundled.href });
} else {
  const { main } = await import(unbundled.href);
  await main(process.argv);
}
