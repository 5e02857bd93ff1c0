import { describeFindings } from "../../store/storage.js";
import { newestBackup } from "../db-files.js";
import { keelFix } from "./command.js";
import type { DoctorCheck, Finding } from "./types.js";

/**
 * The store damaged: a file that does not open as a store, damage the node's store watch found
 * (page checks), or a schema newer than this code. The fix is the operator's: stop, restore the
 * newest backup, check, start (docs/runbooks/store-corrupted.md).
 */
export const storeCheck: DoctorCheck = {
  name: "store",
  description: "the store damaged (file or pages), or a schema ahead of this code",
  async run(ctx) {
    const findings: Finding[] = [];
    const restore = keelFix(ctx, `db restore ${newestBackup(ctx.home) ?? "<backup-file>"} --yes`);
    const commands = [
      keelFix(ctx, "db check"),
      keelFix(ctx, "stop"),
      restore,
      keelFix(ctx, "start"),
    ];
    const state = ctx.storeState;
    if (state?.kind === "corrupt")
      findings.push({
        check: "store",
        severity: "problem",
        summary: `the store file ${ctx.storeFile} is damaged: ${state.reason}`,
        evidence: {
          file: ctx.storeFile,
          bytes: state.bytes,
          reason: state.reason,
          newest_backup: newestBackup(ctx.home),
        },
        commands,
      });
    const watch = ctx.live?.storage;
    if (state?.kind !== "corrupt" && watch?.state === "damaged")
      findings.push({
        check: "store",
        severity: "problem",
        summary: `the node found damage in the store and writes nothing: ${watch.reason}`,
        evidence: {
          file: ctx.storeFile,
          damage: describeFindings(watch.findings),
          since: new Date(watch.since).toISOString(),
          newest_backup: newestBackup(ctx.home),
        },
        commands,
      });
    if (ctx.store?.schemaWarning)
      findings.push({
        check: "store",
        severity: "warning",
        summary: ctx.store.schemaWarning,
        evidence: { backend: ctx.store.backend },
        commands: ["npm install keel@latest", keelFix(ctx, "stop"), keelFix(ctx, "start")],
      });
    return findings;
  },
};
