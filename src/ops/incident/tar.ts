import { gzipSync } from "node:zlib";

/**
 * A tar.gz of in-memory files (POSIX ustar), enough for an incident archive that `tar xzf` and
 * every archive tool open: regular files only, names under 100 bytes, mode 0600.
 */
export interface TarEntry {
  name: string;
  content: string | Buffer;
  mtimeMs: number;
}

export function tarGz(entries: readonly TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = typeof entry.content === "string" ? Buffer.from(entry.content) : entry.content;
    blocks.push(header(entry.name, body.length, entry.mtimeMs), body);
    const pad = (512 - (body.length % 512)) % 512;
    if (pad > 0) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(1024)); // two empty blocks end the archive
  return gzipSync(Buffer.concat(blocks));
}

function header(name: string, size: number, mtimeMs: number): Buffer {
  if (Buffer.byteLength(name) > 99) throw new Error(`tar entry name too long: ${name}`);
  const h = Buffer.alloc(512);
  h.write(name, 0, "utf8");
  h.write(octal(0o600, 7), 100);
  h.write(octal(0, 7), 108); // uid
  h.write(octal(0, 7), 116); // gid
  h.write(octal(size, 11), 124);
  h.write(octal(Math.floor(mtimeMs / 1000), 11), 136);
  h.write("        ", 148); // the checksum counts its own field as spaces
  h.write("0", 156); // a regular file
  h.write("ustar\u000000", 257);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148);
  return h;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width, "0")}\u0000`;
}
