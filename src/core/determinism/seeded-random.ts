import { createHash } from "node:crypto";

/**
 * The random numbers a step may use and still replay: a small PRNG (sfc32) seeded from the run's
 * seed and the step's name, so each step draws its own sequence and a replay draws the same one.
 */
export interface SeededRandom {
  /** a float in [0, 1), like Math.random() */
  next(): number;
  /** an RFC 4122 version 4 UUID made of the same draws */
  uuid(): string;
}

export function seededRandom(seed: number, step: string): SeededRandom {
  const digest = createHash("sha256").update(`${seed}:${step}`).digest();
  let a = digest.readUInt32LE(0);
  let b = digest.readUInt32LE(4);
  let c = digest.readUInt32LE(8);
  let d = digest.readUInt32LE(12);
  const word = (): number => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // the first draws of sfc32 still echo the seed words: discard them
  for (let i = 0; i < 12; i++) word();
  return {
    next: () => word() / 4294967296,
    uuid: () => {
      const bytes = Buffer.alloc(16);
      for (let i = 0; i < 16; i += 4) bytes.writeUInt32LE(word(), i);
      bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
      bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
      const hex = bytes.toString("hex");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
  };
}
