import { StoreError } from "../../core/errors/store-errors.js";
import { isKeelError } from "../../core/errors/keel-error.js";
import { describeFindings, type StorageReport } from "../storage.js";

/**
 * The fence around a damaged store file. The first query that runs into damage (SQLITE_CORRUPT,
 * SQLITE_NOTADB), or a check that finds some, fences the file: from then on every write is refused
 * with `store_corrupt` before it begins, while reads go on. Nothing more is written on a broken
 * file, and nothing is acknowledged that a restore would throw away. A clean check or a repair
 * lifts the fence. Listeners hear of each damaged query at once: a hint to check now.
 */
export function isCorruptionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^SQLITE_(CORRUPT|NOTADB)/.test(code);
}

const advice =
  "keel writes nothing more to it until a check finds it whole or a repair makes it so. `keel db check` says what is damaged; to recover: stop keel, `keel db restore <newest backup> --yes`, `keel db rebuild-state --apply`, start keel";

export class StorageGuard {
  private fence: StoreError | undefined;
  private readonly listeners = new Set<(fault: StoreError) => void>();

  constructor(private readonly path: string) {}

  get fenced(): boolean {
    return this.fence !== undefined;
  }

  /** Throws the fence's error: called before any write begins. */
  assertWritable(): void {
    if (this.fence) throw this.fence;
  }

  /** An error thrown by a query: damage fences the file and is reported; others pass through. */
  failure(error: unknown): unknown {
    if (isKeelError(error) || !isCorruptionError(error)) return error;
    const fault = new StoreError(
      "store_corrupt",
      `the store file ${this.path} is damaged (${(error as Error).message}); ${advice}`,
      error,
    );
    this.fence ??= fault;
    for (const listener of this.listeners) listener(fault);
    return fault;
  }

  /** A check's verdict: damage fences the file, a whole file lifts the fence. */
  record(report: StorageReport): void {
    if (report.ok) this.fence = undefined;
    else
      this.fence = new StoreError(
        "store_corrupt",
        `the store file ${this.path} is damaged (${describeFindings(report.findings)}); ${advice}`,
        undefined,
        false,
      );
  }

  onFault(listener: (fault: StoreError) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
