import { userInfo } from "node:os";

/** Who the audit log names for a CLI change: `cli:<os user>`. */
export function cliActor(): string {
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry for this uid (some containers): fall back to the environment
  }
  return `cli:${name || process.env.USER || process.env.USERNAME || "unknown"}`;
}
