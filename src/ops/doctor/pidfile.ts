import { existsSync } from "node:fs";
import { join } from "node:path";
import { readLivePid } from "../pidfile.js";
import { keelFix } from "./command.js";
import type { DoctorCheck } from "./types.js";

export function pidfilePath(home: string): string {
  return join(home, "keel.pid");
}

/**
 * A pidfile whose process is gone (a node SIGKILLed, a machine that lost power). keel ignores it
 * already, but it misleads an operator or a script that reads it; removing it is safe.
 */
export const pidfileCheck: DoctorCheck = {
  name: "pidfile",
  description: "a stale pidfile left by a node that died",
  async run(ctx) {
    const file = pidfilePath(ctx.home);
    if (!existsSync(file) || readLivePid(ctx.home) !== null) return [];
    return [
      {
        check: "pidfile",
        severity: "warning",
        summary: `${file} names a process that is no longer a keel node of this home (a node died without stopping)`,
        evidence: { file },
        commands: [`rm ${file}`, keelFix(ctx, "start")],
        autoFix: {
          id: "pidfile.remove",
          description: `remove the stale pidfile ${file}`,
          target: file,
        },
      },
    ];
  },
};
