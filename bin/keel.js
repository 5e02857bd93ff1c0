#!/usr/bin/env node
// The keel command. The TypeScript sources are compiled to dist/ by `npm install` (prepare).
import { existsSync } from "node:fs";
import module from "node:module";

// Node 22.1+ keeps the compiled code of the modules loaded from here on between runs, in
// $NODE_COMPILE_CACHE or else <os tmpdir>/node-compile-cache (NODE_DISABLE_COMPILE_CACHE=1 turns
// it off); Node 20 has no such cache and starts as before
module.enableCompileCache?.();

const entry = new URL("../dist/src/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("keel is not built yet: run `npm run build` in the keel folder\n");
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
