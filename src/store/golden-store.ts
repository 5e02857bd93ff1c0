import type { GoldenRecord } from "./goldens.js";
import type { OperatorChange } from "./operator-change.js";

/** Golden records (goldens.ts): save under a name (audited), read one, list them. */
export interface GoldenStore {
  /**
   * Saves `golden`; a name already taken is refused with `golden_exists` unless `replace`, and a
   * refused save writes nothing (nor its audit entry).
   */
  saveGolden(golden: GoldenRecord, change: OperatorChange, replace?: boolean): Promise<void>;
  getGolden(name: string): Promise<GoldenRecord | undefined>;
  /** every golden, by name; steps' outputs included */
  listGoldens(): Promise<GoldenRecord[]>;
}
