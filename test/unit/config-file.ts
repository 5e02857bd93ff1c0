import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A keel.yaml with `text` in a fresh temp folder; returns its path. */
export function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "keel-config-")), "keel.yaml");
  writeFileSync(file, text);
  return file;
}
