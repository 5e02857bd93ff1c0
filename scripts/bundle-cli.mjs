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
import { readFile, readdir, rm, writeFile } from "node:fs/promises";
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

/**
 * A map carries the text of the dependencies' sources and only names keel's own, which the package
 * ships (src/): where an installed keel's dependencies sit depends on how the project's
 * node_modules is laid out, so no path from dist/cli names them there.
 */
async function leaveOwnSourcesOut() {
  for (const name of await readdir(outdir)) {
    if (!name.endsWith(".map")) continue;
    const file = path.join(outdir, name);
    const map = JSON.parse(await readFile(file, "utf8"));
    const dependency = map.sources.map((source) => source.includes("node_modules/"));
    // a dependency's map may name a source its package does not ship: said in place of its text
    map.sourcesContent = map.sourcesContent.map((text, i) =>
      dependency[i] ? (text ?? `// ${map.sources[i]}: not in its package`) : null,
    );
    map.sources = map.sources.map((source, i) =>
      dependency[i] ? source.slice(source.lastIndexOf("node_modules/")) : source,
    );
    await writeFile(file, JSON.stringify(map));
  }
}

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
    logLevel: "warning",
  });
  await leaveOwnSourcesOut();
} catch (err) {
  console.error(`bundle-cli: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
