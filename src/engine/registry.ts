import { UnknownPipelineError } from "../core/errors/definition-errors.js";
import { checkIsolationModule } from "../core/isolation.js";
import type { Pipeline } from "../core/pipeline.js";
import type { PipelineRecord } from "../store/records.js";

/** The pipelines this process can execute, by name. */
export class PipelineRegistry {
  private readonly byName = new Map<string, Pipeline>();

  add(pipeline: Pipeline): void {
    checkIsolationModule(pipeline);
    const existing = this.byName.get(pipeline.name);
    if (existing && existing !== pipeline && existing.version !== pipeline.version) {
      throw new Error(
        `pipeline "${pipeline.name}" is registered twice with different definitions (${existing.version} and ${pipeline.version})`,
      );
    }
    this.byName.set(pipeline.name, pipeline);
  }

  get(name: string): Pipeline | undefined {
    return this.byName.get(name);
  }

  require(name: string): Pipeline {
    const p = this.byName.get(name);
    if (!p) throw new UnknownPipelineError(name, this.names());
    return p;
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  records(now: number): PipelineRecord[] {
    return [...this.byName.values()].map((p) => ({
      name: p.name,
      version: p.version,
      steps: p.steps.map((s) => ({
        name: s.name,
        after: [...s.after],
        // only when placed, so records of pipelines without placement stay as they were
        ...(s.placement.requires.length > 0 ? { requires: [...s.placement.requires] } : {}),
        ...(s.placement.pool ? { pool: s.placement.pool } : {}),
      })),
      registeredAt: now,
    }));
  }
}
