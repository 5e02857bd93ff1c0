import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { Database } from "../../src/store/sqlite/driver.js";

/**
 * Real damage to a real SQLite file, as a failing disk or a stray write makes it: bytes of one
 * page changed on disk, under whatever connections have the file open. The WAL is checkpointed
 * into the file first, so the page on disk is the newest copy of it: no later checkpoint of an
 * older frame can quietly undo the damage.
 */
export interface PageInfo {
  pageno: number;
  pagetype: string;
  ncell: number;
}

/** "header": the page-type byte, so the page no longer parses; "key": one character of a run id in it. */
export type PageDamage = "header" | "key";

/** The pages of `object` (a table or index), in key order (dbstat's path). */
export function pagesOf(path: string, object: string): PageInfo[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare(
        "SELECT pageno, pagetype, ncell FROM dbstat WHERE name = ? AND pagetype IN ('leaf', 'internal') ORDER BY path",
      )
      .all(object) as PageInfo[];
  } finally {
    db.close();
  }
}

/** Copies every WAL frame into the file and empties the WAL; tries for up to 10 s. */
export function checkpointFully(path: string): void {
  const db = new Database(path, { fileMustExist: true });
  const pause = new Int32Array(new SharedArrayBuffer(4));
  try {
    db.pragma("busy_timeout = 5000");
    // a live node's readers and commits can make one attempt come back busy: try again a bit later
    for (let i = 0; i < 500; i++) {
      const [row] = db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number; log: number }[];
      if (row && row.busy === 0 && row.log === 0) return;
      Atomics.wait(pause, 0, 0, 20);
    }
    throw new Error(`could not checkpoint ${path}: readers kept the WAL busy`);
  } finally {
    db.close();
  }
}

const base32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** Damages page `pageno` of the file in place; returns what it changed, for the test's log. */
export function damagePage(path: string, pageno: number, damage: PageDamage): string {
  const pageSize = 4096;
  const fd = openSync(path, "r+");
  try {
    const page = Buffer.alloc(pageSize);
    readSync(fd, page, 0, pageSize, (pageno - 1) * pageSize);
    // page 1 starts with the 100-byte file header; keel never damages it here
    if (pageno === 1) throw new Error("page 1 holds the file header: pick another page");
    if (damage === "header") {
      page[0] = 0x07; // no such page type: 2, 5, 10 and 13 are the only ones
    } else {
      const text = page.toString("latin1");
      const found =
        /run_[0-9A-Z]{26}/.exec(text.slice(text.length >> 1)) ?? /run_[0-9A-Z]{26}/.exec(text);
      if (!found) throw new Error(`page ${pageno} holds no run id to garble`);
      const at = text.indexOf(found[0]) + 20;
      const old = String.fromCharCode(page[at] as number);
      page[at] = base32.charCodeAt((base32.indexOf(old) + 7) % base32.length);
    }
    writeSync(fd, page, 0, pageSize, (pageno - 1) * pageSize);
    return `${damage} of page ${pageno}`;
  } finally {
    closeSync(fd);
  }
}

/** The middle leaf: away from both ends of the keys, where new entries go. */
export const middleLeaf = (pages: PageInfo[]): PageInfo | undefined => {
  const leaves = pages.filter((p) => p.pagetype === "leaf");
  return leaves[leaves.length >> 1];
};

/** Checkpoints, then damages the page of `object` that `choose` picks (default: the middle leaf). */
export function damageObject(
  path: string,
  object: string,
  damage: PageDamage,
  choose: (pages: PageInfo[]) => PageInfo | undefined = middleLeaf,
): number {
  checkpointFully(path);
  const page = choose(pagesOf(path, object));
  if (!page) throw new Error(`${object} has no page to damage`);
  damagePage(path, page.pageno, damage);
  return page.pageno;
}
