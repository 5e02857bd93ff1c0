import type { Pipeline } from "../core/pipeline.js";
import type { BreakerOptions } from "../engine/breaker-options.js";

/**
 * The CLI's one way to the demo in examples/: `keel demo`, and `keel start` (or any command) when
 * no pipeline module is configured, register the document-analysis pipeline through here. Loaded
 * on demand, so a node with pipelines of its own never loads the demo's code.
 */
export interface Demo {
  pipeline: Pipeline;
  /** the demo's breaker options given in code (its embedding service's probe) */
  breakers: Record<string, BreakerOptions>;
  /** the sample plans shipped with the demo, one run input each */
  loadDocuments: () => Promise<{ name: string; text: string }[]>;
}

export async function loadDemo(): Promise<Demo> {
  const [{ documentAnalysis }, { demoBreakers }, { loadDocuments }] = await Promise.all([
    import("../../examples/document-analysis/pipeline.js"),
    import("../../examples/document-analysis/embedding-client.js"),
    import("../../examples/document-analysis/documents.js"),
  ]);
  return { pipeline: documentAnalysis as Pipeline, breakers: demoBreakers, loadDocuments };
}
