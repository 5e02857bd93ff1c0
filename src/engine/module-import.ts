import { pathToFileURL } from "node:url";

/**
 * Imports a pipeline module, TypeScript included. A `.ts` module loads as it is: through Node's
 * own type stripping where this Node has it (22.18+, 23.6+: `process.features.typescript`), else
 * through tsx, registered the first time a `.ts` module is imported and only then, so a project
 * of plain `.js` modules never loads it. The node and its worker processes both import through
 * here, so an isolated step loads what the node loaded.
 */
export async function importModule(pathOrUrl: string): Promise<Record<string, unknown>> {
  const url = pathOrUrl.startsWith("file:") ? pathOrUrl : pathToFileURL(pathOrUrl).href;
  if (isTypeScript(url) && !nativeTypeScript()) await registerTsx();
  return (await import(url)) as Record<string, unknown>;
}

const typescriptFile = /\.(ts|mts|cts)$/i;

export function isTypeScript(url: string): boolean {
  return typescriptFile.test(new URL(url).pathname);
}

/** How this Node loads a `.ts` module: "native" (type stripping) or "tsx" (the loader). */
export function typeScriptLoader(): "native" | "tsx" {
  return nativeTypeScript() ? "native" : "tsx";
}

function nativeTypeScript(): boolean {
  // "strip" or "transform" where Node strips types by default; absent on Node 20
  const features = process.features as { typescript?: string | false };
  return typeof features.typescript === "string";
}

let registered: Promise<void> | undefined;

function registerTsx(): Promise<void> {
  registered ??= import("tsx/esm/api").then(({ register }) => {
    register();
  });
  return registered;
}
