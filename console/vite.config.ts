import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The console is built into dist/console and served by every node at `/` (src/api/console/).
// Relative asset URLs: the files are served from memory at the root of the node's API.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../dist/console", import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    // one small bundle; no module preload polyfill (it would need an inline script)
    modulePreload: false,
    chunkSizeWarningLimit: 200,
  },
});
