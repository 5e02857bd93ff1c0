import { GoldenExistsError } from "../../core/errors/golden-errors.js";
import {
  goldenAudit,
  goldenFromRow,
  goldenParams,
  insertGoldenSql,
  type GoldenRecord,
} from "../goldens.js";
import type { OperatorChange } from "../operator-change.js";
import { insertAudit } from "./audit.js";
import type { PgConn } from "./context.js";

/** Golden records: saved (with the audit entry) in one transaction, read by name, listed. */
export async function saveGolden(
  c: PgConn,
  golden: GoldenRecord,
  change: OperatorChange,
  replace: boolean,
): Promise<void> {
  const before = await getGolden(c, golden.name, true);
  if (before && !replace) throw new GoldenExistsError(golden.name, before.runId);
  if (before) await c.run("DELETE FROM goldens WHERE name = ?", [golden.name]);
  // two savers of a new name race on the primary key: the loser's insert fails and rolls back
  await c.run(insertGoldenSql, goldenParams(golden));
  const audit = goldenAudit(golden, change, before !== undefined);
  if (audit) await insertAudit(c, audit);
}

export async function getGolden(
  c: PgConn,
  name: string,
  lock = false,
): Promise<GoldenRecord | undefined> {
  const row = await c.get(`SELECT * FROM goldens WHERE name = ?${lock ? " FOR UPDATE" : ""}`, [
    name,
  ]);
  return row ? goldenFromRow(row) : undefined;
}

export async function listGoldens(c: PgConn): Promise<GoldenRecord[]> {
  return (await c.all("SELECT * FROM goldens ORDER BY name")).map(goldenFromRow);
}
