import { fileValues, readStartedConfig } from "../started-config.js";
import { iso, keelFix } from "./command.js";
import type { DoctorCheck } from "./types.js";

/**
 * Config drift: keel.yaml changed since the running node of this home read it. The node still
 * runs with the old values; a restart applies the file (after `keel config validate`), or the edit
 * is undone.
 */
export const configDriftCheck: DoctorCheck = {
  name: "config-drift",
  description: "keel.yaml changed since the running node read it",
  async run(ctx) {
    if (ctx.pid === null) return [];
    const started = readStartedConfig(ctx.home);
    if (!started || started.pid !== ctx.pid || !started.file) return [];
    const now = fileValues(started.file);
    const keys = new Set([...Object.keys(started.values), ...Object.keys(now)]);
    const changed = [...keys]
      .filter((k) => started.values[k] !== now[k])
      .sort()
      .map((key) => ({ key, started: started.values[key] ?? null, now: now[key] ?? null }));
    if (changed.length === 0) return [];
    const words = changed
      .slice(0, 5)
      .map((c) => `${c.key} ${c.started ?? "(unset)"} -> ${c.now ?? "(unset)"}`)
      .join(", ");
    return [
      {
        check: "config-drift",
        severity: "warning",
        summary: `${started.file} changed since the node (pid ${ctx.pid}) started: ${words}${changed.length > 5 ? `, and ${changed.length - 5} more` : ""}; the node runs with the old values`,
        evidence: { file: started.file, node_started_at: iso(started.at), changed },
        commands: [
          keelFix(ctx, `config validate ${started.file}`),
          keelFix(ctx, "stop"),
          keelFix(ctx, `start --config ${started.file}`),
        ],
      },
    ];
  },
};
