import { KeelError } from "./keel-error.js";

/** A shadow start on a pipeline that already has an active shadow: one at a time per pipeline. */
export class ShadowActiveError extends KeelError {
  constructor(pipeline: string, active: { id: string; module: string; createdBy: string }) {
    super(
      "shadow_active",
      `pipeline "${pipeline}" already has an active shadow (${active.id}, ${active.module}, started by ${active.createdBy}); stop it first with \`keel shadow stop ${pipeline}\``,
      { details: { pipeline, shadow: active.id, module: active.module } },
    );
  }
}
