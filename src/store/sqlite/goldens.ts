import { GoldenExistsError } from "../../core/errors/golden-errors.js";
import {
  goldenAudit,
  goldenFromRow,
  goldenParams,
  insertGoldenSql,
  type GoldenRecord,
} from "../goldens.js";
import type { OperatorChange } from "../operator-change.js";
import type { Row } from "../rows.js";
import { insertAudit } from "./audit.js";
import type { SqliteContext } from "./context.js";

/** Golden records: saved (with the audit entry) in one write, read by name, listed. */
export function saveGolden(
  ctx: SqliteContext,
  golden: GoldenRecord,
  change: OperatorChange,
  replace: boolean,
): void {
  ctx.write(() => {
    const before = getGolden(ctx, golden.name);
    if (before && !replace) throw new GoldenExistsError(golden.name, before.runId);
    if (before) ctx.sql("DELETE FROM goldens WHERE name = ?").run(golden.name);
    ctx.sql(insertGoldenSql).run(...goldenParams(golden));
    const audit = goldenAudit(golden, change, before !== undefined);
    if (audit) insertAudit(ctx, audit);
  });
}

export function getGolden(ctx: SqliteContext, name: string): GoldenRecord | undefined {
  const row = ctx.sql("SELECT * FROM goldens WHERE name = ?").get(name) as Row | undefined;
  return row ? goldenFromRow(row) : undefined;
}

export function listGoldens(ctx: SqliteContext): GoldenRecord[] {
  return (ctx.sql("SELECT * FROM goldens ORDER BY name").all() as Row[]).map(goldenFromRow);
}
