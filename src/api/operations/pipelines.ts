import * as z from "zod";
import { none, noBody, operation } from "../operation.js";

/** The pipelines the store knows, with their steps' graph (the console draws a run's DAG). */
const pipelineSchema = z.strictObject({
  name: z.string(),
  version: z.string(),
  registered_at: z.string(),
  steps: z.array(z.strictObject({ name: z.string(), after: z.array(z.string()) })),
});

export const listPipelines = operation({
  id: "pipelines.list",
  method: "GET",
  path: "/v1/pipelines",
  role: "viewer",
  summary: "every pipeline version the store knows, with each step and the steps it runs after",
  params: none,
  query: none,
  body: noBody,
  response: z.strictObject({ pipelines: z.array(pipelineSchema) }),
  async run({ keel }) {
    const known = await keel.store.listPipelines();
    return {
      pipelines: known.map((p) => ({
        name: p.name,
        version: p.version,
        registered_at: new Date(p.registeredAt).toISOString(),
        steps: p.steps.map((s) => ({ name: s.name, after: [...s.after] })),
      })),
    };
  },
});
