import { hashJson, type JsonValue } from "../canonical-json.js";
import { diffJson, type FieldDiff } from "./json-diff.js";

/**
 * How a replayed step differs from its record, and why. A verify replays each step N times from
 * its recorded input; the classes read the N outputs against the record and against each other:
 *
 * - EXTERNAL_CALL: the replay reached out (network, a file outside the module's folder, a
 *   ctx.fetch that was never recorded): the step depends on the world, not on its input.
 * - VOLATILE_LEAK: replays differ only in fields that look like a time or an id: mark them
 *   `volatile`, or take them from ctx.now() / ctx.uuid().
 * - UNSEEDED_RNG: replays with the same seed differ, and the step drew from Math.random or crypto.
 * - SEED_MISMATCH: replays agree with each other but not with the record: the seed, the input or
 *   the code changed since the run.
 * - DETERMINISM_VIOLATION: anything else (a replay that threw, state kept between calls...).
 */
export const MismatchClass = {
  volatileLeak: "VOLATILE_LEAK",
  seedMismatch: "SEED_MISMATCH",
  unseededRng: "UNSEEDED_RNG",
  externalCall: "EXTERNAL_CALL",
  determinismViolation: "DETERMINISM_VIOLATION",
} as const;
export type MismatchClass = (typeof MismatchClass)[keyof typeof MismatchClass];

/** One replay of one step, its output already masked of volatile fields. */
export interface ReplayOutcome {
  output?: JsonValue;
  error?: { code: string; message: string };
  /** unrecorded calls the sandbox saw: "fetch GET http://...", "read /etc/hosts" */
  external: string[];
  /** Math.random, crypto.randomUUID/randomBytes/getRandomValues calls */
  rng: number;
  /** Date.now() and new Date() calls */
  clock: number;
}

export interface StepVerdict {
  hashes: string[];
  class: MismatchClass | null;
  /** the field paths that differ, with sample values */
  fields: FieldDiff[];
  /** what else the replays showed: the calls made, an error, the RNG and clock reads */
  note: string | null;
  calls: string[];
}

export function classifyReplays(
  recordedHash: string,
  recorded: JsonValue,
  replays: ReplayOutcome[],
): StepVerdict {
  const hashes = replays.map((r) =>
    r.error ? `error:${r.error.code}` : hashJson(r.output ?? null),
  );
  const calls = [...new Set(replays.flatMap((r) => r.external))].slice(0, 20);
  const failed = replays.find((r) => r.error);
  const verdict = (
    cls: MismatchClass | null,
    fields: FieldDiff[],
    note: string | null,
  ): StepVerdict => ({
    hashes,
    class: cls,
    fields,
    note,
    calls,
  });
  if (calls.length > 0 || failed?.error?.code === "unrecorded_call")
    return verdict(
      MismatchClass.externalCall,
      [],
      failed?.error
        ? failed.error.message
        : `the replay made ${calls.length} unrecorded call(s); use ctx.fetch, or pass the data in as input`,
    );
  if (failed?.error)
    return verdict(
      MismatchClass.determinismViolation,
      [],
      `a replay failed where the run succeeded: ${failed.error.code}: ${failed.error.message}`,
    );
  const outputs = replays.map((r) => r.output ?? null);
  const rng = Math.max(0, ...replays.map((r) => r.rng));
  const unstable = new Set(hashes).size > 1;
  if (!unstable && hashes[0] === recordedHash)
    return verdict(null, [], rng > 0 ? `the outputs agreed, but ${rngNote(rng)}` : null);
  // unstable: the first replay against one that differs; stable: the record against the replays
  const fields = unstable
    ? diffJson(outputs[0] ?? null, outputs[hashes.findIndex((h) => h !== hashes[0])] ?? null)
    : diffJson(recorded, outputs[0] ?? null);
  // stable and still volatile: replays in the same millisecond agree on a time the record lacks
  if (fields.length > 0 && fields.every((f) => looksVolatile(f.a) && looksVolatile(f.b)))
    return verdict(MismatchClass.volatileLeak, fields, volatileNote(replays));
  if (rng > 0) return verdict(MismatchClass.unseededRng, fields, rngNote(rng));
  if (unstable)
    return verdict(
      MismatchClass.determinismViolation,
      fields,
      "replays of the same input differ, with no unseeded randomness, clock or external call seen: look for state kept between calls",
    );
  return verdict(
    MismatchClass.seedMismatch,
    fields,
    "every replay agrees, but not with the record: the seed, the input or the step's code changed since the run",
  );
}

function volatileNote(replays: ReplayOutcome[]): string {
  const clock = Math.max(0, ...replays.map((r) => r.clock));
  const read = clock > 0 ? ` (the step read the clock ${clock} time(s) without ctx.now())` : "";
  return `these fields look like times or ids${read}: list them in the step's volatile option, or take them from ctx.now() / ctx.uuid()`;
}

function rngNote(rng: number): string {
  return `the step drew ${rng} unseeded random number(s) (Math.random or crypto) per replay: use ctx.random() / ctx.uuid()`;
}

const isoTime = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ulid = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const prefixedId = /^[a-z]{1,12}[_-][0-9A-Za-z]{10,}$/;
const hexId = /^[0-9a-f]{16,}$/i;
/** epoch ms or s from 2001 to 2286: a number in that range that changes between replays is a time */
const epochMs = [1e12, 1e13] as const;
const epochS = [1e9, 1e10] as const;

/** true for a value that reads as a timestamp or a generated id */
export function looksVolatile(value: JsonValue | undefined): boolean {
  if (typeof value === "number")
    return (
      (value >= epochMs[0] && value < epochMs[1]) ||
      (Number.isInteger(value) && value >= epochS[0] && value < epochS[1])
    );
  if (typeof value !== "string") return false;
  return (
    isoTime.test(value) ||
    uuid.test(value) ||
    ulid.test(value) ||
    prefixedId.test(value) ||
    hexId.test(value)
  );
}
