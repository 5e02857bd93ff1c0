import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The console's built files (Vite's output in dist/console), read once when the API starts and
 * served from memory. A keel run from its sources without a build has none: `/` then says how
 * to build them instead of a 404.
 */
export interface ConsoleAsset {
  body: Buffer;
  type: string;
  /** hashed file names never change their contents: cache them for a year */
  immutable: boolean;
}

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".woff2": "font/woff2",
};

export function consoleFolder(): string {
  // built: dist/src/api/console/assets.js -> dist/console; from sources (the tests):
  // src/api/console/assets.ts -> dist/console, never the console's own sources in console/
  const built = fileURLToPath(import.meta.url).includes(`${sep}dist${sep}src${sep}`);
  return fileURLToPath(
    new URL(built ? "../../../console/" : "../../../dist/console/", import.meta.url),
  );
}

/** `/`-relative path -> asset; empty when the console is not built */
export function loadConsoleAssets(folder = consoleFolder()): Map<string, ConsoleAsset> {
  const assets = new Map<string, ConsoleAsset>();
  if (!existsSync(join(folder, "index.html"))) return assets;
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir)) {
      const file = join(dir, name);
      if (statSync(file).isDirectory()) walk(file, `${prefix}${name}/`);
      else
        assets.set(`/${prefix}${name}`, {
          body: readFileSync(file),
          type: types[extname(name)] ?? "application/octet-stream",
          immutable: prefix.startsWith("assets/"),
        });
    }
  };
  walk(folder, "");
  return assets;
}

/**
 * The page may talk only to its own node: no inline script, no other origin, no framing (a
 * console inside another site's frame could be clicked through).
 */
export const consoleSecurityHeaders = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};
