import { keelFix } from "./command.js";
import type { DoctorCheck } from "./types.js";

/**
 * Nodes of one store running different keel versions (a rolling upgrade that stopped half-way, or
 * an old node left behind): a newer node may have migrated the schema, and an old one then runs
 * code that does not know it.
 */
export const schemaDriftCheck: DoctorCheck = {
  name: "schema-drift",
  description: "nodes of one store running different keel versions",
  async run(ctx) {
    if (!ctx.store) return [];
    const active = (await ctx.store.listNodes()).filter((n) => n.state !== "offline");
    const versions = new Map<string, string[]>();
    for (const n of active) versions.set(n.version, [...(versions.get(n.version) ?? []), n.id]);
    if (versions.size < 2) return [];
    const byVersion = Object.fromEntries(versions);
    const newest = [...versions.keys()].sort(compareVersions).at(-1)!;
    const behind = active.filter((n) => n.version !== newest);
    return [
      {
        check: "schema-drift",
        severity: "warning",
        summary: `the store's nodes run ${versions.size} keel versions (${[...versions.keys()].join(", ")}); ${behind.length} node(s) are behind ${newest}`,
        evidence: { nodes_by_version: byVersion, newest },
        commands: [
          keelFix(ctx, "status --verbose"),
          ...behind.map(
            (n) =>
              `# on ${n.host}: upgrade keel to ${newest}, then restart node ${n.id} (pid ${n.pid})`,
          ),
        ],
      },
    ];
  },
};

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number(x) || 0);
  const pb = b.split(/[.-]/).map((x) => Number(x) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
