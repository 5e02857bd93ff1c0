import { pipeline } from "../../src/index.js";
import { causalDetection } from "./steps/causal-detection.js";
import { contradictionDetection } from "./steps/contradiction-detection.js";
import { dagValidation } from "./steps/dag-validation.js";
import { embedding } from "./steps/embedding.js";
import { feasibilityScoring } from "./steps/feasibility-scoring.js";
import { monetaryDetection } from "./steps/monetary-detection.js";
import { planProcessing } from "./steps/plan-processing.js";
import { responsibilityDetection } from "./steps/responsibility-detection.js";
import { sanitization } from "./steps/sanitization.js";
import { segmentation } from "./steps/segmentation.js";
import { theoryOfChange } from "./steps/theory-of-change.js";

export type { DocumentInput } from "./steps/sanitization.js";
export type { Report } from "./steps/dag-validation.js";

/**
 * Eleven steps over one plain-text plan. The graph, not this list, decides the order: the four
 * detectors after `embedding` run in parallel, and `dag_validation` is the single sink, so its
 * report is the run's output.
 */
export const documentAnalysis = pipeline("document-analysis", [
  sanitization,
  planProcessing,
  segmentation,
  embedding,
  responsibilityDetection,
  contradictionDetection,
  monetaryDetection,
  causalDetection,
  feasibilityScoring,
  theoryOfChange,
  dagValidation,
]);
