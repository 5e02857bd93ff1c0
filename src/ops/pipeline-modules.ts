import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { InvalidInputError } from "../core/errors/definition-errors.js";
import { withModule } from "../core/isolation.js";
import { isPipeline, type Pipeline } from "../core/pipeline.js";
import { importModule } from "../engine/module-import.js";

/**
 * Imports the modules named in the config (`.js`, or `.ts` as they are: see module-import.ts) and
 * collects every pipeline they export, each knowing its module (unless it names one itself).
 */
export async function loadPipelineModules(paths: readonly string[]): Promise<Pipeline[]> {
  const found: Pipeline[] = [];
  for (const path of paths) {
    if (!existsSync(path))
      throw new InvalidInputError(
        `pipeline module ${path} does not exist; fix the "pipelines" list of your config`,
        { module: path },
      );
    let mod: Record<string, unknown>;
    try {
      mod = await importModule(path);
    } catch (cause) {
      throw new InvalidInputError(
        `pipeline module ${path} failed to load: ${(cause as Error).message}`,
        { module: path },
        cause,
      );
    }
    const pipelines = Object.values(mod).filter(isPipeline);
    if (pipelines.length === 0)
      throw new InvalidInputError(
        `pipeline module ${path} exports no pipeline; export the result of pipeline(name, steps)`,
        { module: path },
      );
    // a child process running an isolated step imports the module its pipeline came from
    const url = pathToFileURL(path).href;
    found.push(...pipelines.map((p) => withModule(p, url)));
  }
  return found;
}

/** The "pipelines" modules that are not there: `config validate` names them before a start fails. */
export function missingPipelineModules(paths: readonly string[]): string[] {
  return paths.filter((path) => !existsSync(path));
}

/**
 * A source whose pipeline no module defines would fail on every tick, logged and unseen: a node
 * refuses to start with it instead, naming the source, the pipeline and the ones it knows.
 */
export function checkSourcePipelines(
  sources: Readonly<Record<string, { pipeline: string }>>,
  pipelines: readonly Pipeline[],
): void {
  const known = new Set(pipelines.map((p) => p.name));
  for (const [name, source] of Object.entries(sources))
    if (!known.has(source.pipeline))
      throw new InvalidInputError(
        `source ${name} names pipeline "${source.pipeline}", which no configured module defines (known: ${[...known].join(", ") || "none"}); fix sources.${name}.pipeline or the "pipelines" list of your config`,
        { field: `sources.${name}.pipeline`, pipeline: source.pipeline },
      );
}
