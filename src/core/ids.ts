import { randomBytes } from "node:crypto";

/**
 * Run ids sort by creation time (48-bit milliseconds, then randomness, Crockford base32, like a
 * ULID), so "newest first" is an index scan and ids read well in logs.
 */
const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
let lastTime = -1;
let lastRandom: Uint8Array = new Uint8Array(10);

export function sortableId(now: number = Date.now()): string {
  let random: Uint8Array;
  if (now <= lastTime) {
    // same millisecond: increment the previous randomness so ids stay strictly increasing
    random = increment(lastRandom);
    now = lastTime;
  } else {
    random = randomBytes(10);
  }
  lastTime = now;
  lastRandom = random;
  return encodeTime(now) + encodeRandom(random);
}

function increment(bytes: Uint8Array): Uint8Array {
  const next = Uint8Array.from(bytes);
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i] === 255) {
      next[i] = 0;
    } else {
      next[i] = (next[i] ?? 0) + 1;
      break;
    }
  }
  return next;
}

export function encodeTime(time: number): string {
  let out = "";
  for (let i = 0; i < 10; i++) {
    out = alphabet[time % 32] + out;
    time = Math.floor(time / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let out = "";
  for (let i = 0; i < 16; i++) {
    out = alphabet[Number(bits & 31n)] + out;
    bits >>= 5n;
  }
  return out;
}

export function newRunId(): string {
  return `run_${sortableId()}`;
}

/** W3C trace-context trace id: 32 lowercase hex characters. */
export function newTraceId(): string {
  return randomBytes(16).toString("hex");
}

export function newSeed(): number {
  return randomBytes(4).readUInt32BE(0);
}

export function newNodeId(host: string, pid: number): string {
  return `${host}-${pid}-${randomBytes(3).toString("hex")}`;
}
