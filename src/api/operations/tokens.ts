import * as z from "zod";
import { createApiToken, revokeApiToken } from "../../ops/tokens.js";
import { tokenRoles } from "../../store/tokens.js";
import { none, noBody, operation } from "../operation.js";
import { optionalBody, text, tokenIdParams, tokenName } from "../schemas.js";
import { createdTokenSchema, tokenJson, tokenListSchema, tokenSchema } from "../wire/tokens.js";

/** API tokens: admins only. A token's secret is returned once, at creation. */
export const listTokens = operation({
  id: "tokens.list",
  method: "GET",
  path: "/v1/tokens",
  role: "admin",
  summary: "every token (revoked ones too), never their secrets",
  params: none,
  query: none,
  body: noBody,
  response: tokenListSchema,
  async run({ keel }) {
    return { tokens: (await keel.store.listTokens()).map(tokenJson) };
  },
});

export const createToken = operation({
  id: "tokens.create",
  method: "POST",
  path: "/v1/tokens",
  role: "admin",
  summary: "create a token with a role; its text is shown once",
  status: () => 201,
  params: none,
  query: none,
  body: z
    .object({
      name: tokenName,
      role: z.enum(tokenRoles),
    })
    .strict(),
  response: createdTokenSchema,
  async run({ keel, actor }, { body }) {
    const issued = await createApiToken(keel.store, { ...body, actor });
    return { ...tokenJson(issued.record), token: issued.token };
  },
});

export const revokeToken = operation({
  id: "tokens.revoke",
  method: "POST",
  path: "/v1/tokens/:id/revoke",
  role: "admin",
  summary: "revoke a token: it never authenticates again",
  params: tokenIdParams("a token"),
  query: none,
  body: optionalBody({ reason: text.optional() }),
  response: tokenSchema,
  async run({ keel, actor }, { params, body }) {
    return tokenJson(await revokeApiToken(keel.store, params.id, actor, body?.reason));
  },
});
