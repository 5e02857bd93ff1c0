#!/usr/bin/env node
// Bundles the compiled CLI (dist/src/cli/main.js and every module it can import) into
// dist/cli/: an entry and shared chunks, one per set of command groups that load them. Node's
// ES module loader pays for each module it resolves, reads and links; `keel jobs list` loads a
// few dozen chunks instead of over 300 modules. Run after tsc and copy-assets (see "build").
//
// dist/src stays as it is: the library (`import ... from "keel"`) and the commands that run
// pipeline code in-process (a node, the demo: see cli/commands/index.ts) use it, so a pipeline
// module and the engine running it share one copy of keel's modules.
//
// A module that resolves a file from `import.meta.url` (migrations, the console's assets, worker
// and child entry files, the bin) gets its own original URL in place of the chunk's, so every
// such path is the one the unbundled tree resolves.
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build, transform } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outdir = path.join(root, "dist", "cli");
const distSrc = `${path.sep}dist${path.sep}src${path.sep}`;

// packages that find their own files at run time (native drivers, pino's worker transports), or
// are optional and absent: loaded from node_modules as they are
const external = ["better-sqlite3", "better-sqlite3-v12", "pg-native", "thread-stream"];

const ownUrl = {
  name: "original-import-meta-url",
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.includes(distSrc)) return undefined;
      const text = await readFile(args.path, "utf8");
      const resolveDir = path.dirname(args.path);
      if (!text.includes("import.meta.url")) return { contents: text, loader: "js", resolveDir };
      // the expression only, not the words in a message that tells a user to pass import.meta.url
      const { code } = await transform(text, {
        format: "esm",
        define: { "import.meta.url": "keelModuleUrl" },
      });
      const relative = path.relative(outdir, args.path).split(path.sep).join("/");
      const declaration = `const keelModuleUrl = new URL(${JSON.stringify(relative)}, import.meta.url).href;`;
      return { contents: `${declaration}\n${code}`, loader: "js", resolveDir };
    });
  },
};

try {
  await rm(outdir, { recursive: true, force: true });
  await build({
    entryPoints: { main: path.join(root, "dist", "src", "cli", "main.js") },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20.19",
    external,
    // CommonJS packages inside the bundle call require(): give the chunks one of their own
    banner: {
      js: 'import { createRequire as keelCreateRequire } from "node:module"; const require = keelCreateRequire(import.meta.url);',
    },
    plugins: [ownUrl],
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: "linked",
    // the maps name the sources, which the package ships, rather than carry them
    sourcesContent: false,
    logLevel: "warning",
  });
} catch (err) {
  console.error(`bundle-cli: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
