#!/usr/bin/env node
// The keel command. The TypeScript sources are compiled to dist/ by `npm install` (prepare).
import { existsSync } from "node:fs";

const entry = new URL("../dist/src/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("keel is not built yet: run `npm run build` in the keel folder\n");
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
