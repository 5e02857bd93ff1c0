import * as z from "zod";
import { NotFoundError } from "../../core/errors/definition-errors.js";
import {
  defaultWindows,
  drainClusterNode,
  forgetClusterNode,
  listClusterNodes,
  showClusterNode,
  undrainClusterNode,
} from "../../ops/cluster.js";
import { createJoinToken, revokeJoinToken } from "../../ops/join-tokens.js";
import { none, noBody, operation, type OperationContext } from "../operation.js";
import { optionalBody, text, tokenIdParams, tokenName } from "../schemas.js";
import { isoTime } from "../wire/time.js";
import {
  createdJoinTokenSchema,
  forgottenNodeSchema,
  joinTokenJson,
  joinTokenListSchema,
  joinTokenSchema,
  nodeJson,
  nodeListSchema,
  nodeSchema,
} from "../wire/nodes.js";

/**
 * The cluster's nodes: any node's API answers for all of them (they share the store). Reads need
 * viewer, drain/undrain/forget operator, join tokens admin.
 */
const nodeId = z.object({ id: z.string().min(1).max(300) }).strict();
const names = z
  .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "1-64 letters, digits, _ . -"))
  .max(100);

/** the windows of the node answering (its config), or the defaults where none runs here */
const windows = (ctx: OperationContext) => ctx.node?.cluster ?? defaultWindows;

async function shown(ctx: OperationContext, id: string) {
  const node = await showClusterNode(ctx.keel.store, id, windows(ctx));
  if (!node) throw new NotFoundError("node", id, "see keel nodes list");
  return nodeJson(node);
}

export const listNodes = operation({
  id: "nodes.list",
  method: "GET",
  path: "/v1/nodes",
  role: "viewer",
  summary: "every node of the cluster: status, heartbeat age, capabilities, pools",
  params: none,
  query: none,
  body: noBody,
  response: nodeListSchema,
  async run(ctx) {
    const { now, nodes } = await listClusterNodes(ctx.keel.store, windows(ctx));
    return { now: isoTime(now) as string, nodes: nodes.map(nodeJson) };
  },
});

export const showNode = operation({
  id: "nodes.show",
  method: "GET",
  path: "/v1/nodes/:id",
  role: "viewer",
  summary: "one node of the cluster",
  params: nodeId,
  query: none,
  body: noBody,
  response: nodeSchema,
  run: (ctx, { params }) => shown(ctx, params.id),
});

export const drainNode = operation({
  id: "nodes.drain",
  method: "POST",
  path: "/v1/nodes/:id/drain",
  role: "operator",
  summary:
    "the node finishes its runs and claims nothing; past timeout_ms the rest go back to pending",
  params: nodeId,
  query: none,
  body: z.union([
    z.undefined(),
    z.null(),
    z
      .object({
        timeout_ms: z
          .number()
          .int()
          .min(0)
          .max(7 * 86_400_000)
          .optional(),
        reason: text.optional(),
      })
      .strict(),
  ]),
  response: nodeSchema,
  async run(ctx, { params, body }) {
    await drainClusterNode(
      ctx.keel.store,
      params.id,
      body?.timeout_ms ?? null,
      ctx.actor,
      body?.reason,
    );
    return shown(ctx, params.id);
  },
});

export const undrainNode = operation({
  id: "nodes.undrain",
  method: "POST",
  path: "/v1/nodes/:id/undrain",
  role: "operator",
  summary: "the node claims work again",
  params: nodeId,
  query: none,
  body: optionalBody({}),
  response: nodeSchema,
  async run(ctx, { params }) {
    await undrainClusterNode(ctx.keel.store, params.id, ctx.actor);
    return shown(ctx, params.id);
  },
});

export const forgetNode = operation({
  id: "nodes.forget",
  method: "POST",
  path: "/v1/nodes/:id/forget",
  role: "operator",
  summary: "remove an offline node's record; its runs go back to pending",
  params: nodeId,
  query: none,
  body: optionalBody({}),
  response: forgottenNodeSchema,
  async run(ctx, { params }) {
    const { node, released } = await forgetClusterNode(
      ctx.keel.store,
      params.id,
      ctx.actor,
      windows(ctx),
    );
    return { id: node.id, host: node.host, runs_released: released.length };
  },
});

export const listJoinTokens = operation({
  id: "nodes.tokens.list",
  method: "GET",
  path: "/v1/join-tokens",
  role: "admin",
  summary: "every join token (revoked ones too), never their secrets",
  params: none,
  query: none,
  body: noBody,
  response: joinTokenListSchema,
  async run({ keel }) {
    return { tokens: (await keel.store.listJoinTokens()).map(joinTokenJson) };
  },
});

export const createJoinTokenOp = operation({
  id: "nodes.tokens.create",
  method: "POST",
  path: "/v1/join-tokens",
  role: "admin",
  summary: "a token nodes join the cluster with; its text is shown once",
  status: () => 201,
  params: none,
  query: none,
  body: z
    .object({
      name: tokenName,
      capabilities: names.optional(),
      pools: names.optional(),
    })
    .strict(),
  response: createdJoinTokenSchema,
  async run({ keel, actor }, { body }) {
    const issued = await createJoinToken(keel.store, { ...body, actor });
    return { ...joinTokenJson(issued.record), token: issued.token };
  },
});

export const revokeJoinTokenOp = operation({
  id: "nodes.tokens.revoke",
  method: "POST",
  path: "/v1/join-tokens/:id/revoke",
  role: "admin",
  summary: "revoke a join token: nodes that joined with it stop claiming at their next heartbeat",
  params: tokenIdParams("a join token"),
  query: none,
  body: optionalBody({ reason: text.optional() }),
  response: joinTokenSchema,
  async run({ keel, actor }, { params, body }) {
    return joinTokenJson(await revokeJoinToken(keel.store, params.id, actor, body?.reason));
  },
});
