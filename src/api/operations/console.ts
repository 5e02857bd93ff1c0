import * as z from "zod";
import { KeelError } from "../../core/errors/keel-error.js";
import { tokenRoles } from "../../store/tokens.js";
import { loginUrl } from "../console/login-links.js";
import { none, noBody, operation } from "../operation.js";

/** Who the caller is, and one-time login links for the console. */
export const whoAmI = operation({
  id: "session.me",
  method: "GET",
  path: "/v1/me",
  role: "viewer",
  summary: "the caller: the actor the audit log names and the token's role",
  params: none,
  query: none,
  body: noBody,
  response: z.strictObject({ actor: z.string(), role: z.enum(tokenRoles) }),
  async run({ actor, role }) {
    return { actor, role: role ?? "admin" };
  },
});

export const createLoginLink = operation({
  id: "console.link",
  method: "POST",
  path: "/v1/console/links",
  role: "admin",
  summary: "a one-time console login link (admin session, 15 minutes, used once)",
  status: () => 201,
  params: none,
  query: none,
  body: noBody,
  response: z.strictObject({
    path: z.string(),
    expires_at: z.string(),
  }),
  async run({ loginLinks, actor }) {
    if (!loginLinks)
      throw new KeelError(
        "node_not_running",
        "a console login link lives in a running node's memory: start one with `keel start`, then run `keel console` again",
      );
    const { code, expiresAt } = loginLinks.issue(actor);
    return { path: loginUrl("", code), expires_at: new Date(expiresAt).toISOString() };
  },
});
