import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { DocumentInput } from "./pipeline.js";

// Compiled code runs from dist/examples/document-analysis/, where tsc copies no .txt files, so the
// source folder is the fallback. Both are resolved from this module, never from the cwd.
const candidates = [
  new URL("./documents/", import.meta.url),
  new URL("../../../examples/document-analysis/documents/", import.meta.url),
];

async function textFilesIn(dir: URL): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((f) => f.endsWith(".txt")).sort();
  } catch {
    return [];
  }
}

/** Every shipped sample plan, in file-name order, named by its file name without ".txt". */
export async function loadDocuments(): Promise<DocumentInput[]> {
  for (const dir of candidates) {
    const files = await textFilesIn(dir);
    if (files.length === 0) continue;
    return Promise.all(
      files.map(async (file) => ({
        name: file.replace(/\.txt$/, ""),
        text: await readFile(fileURLToPath(new URL(file, dir)), "utf8"),
      })),
    );
  }
  throw new Error(
    `no .txt documents found in ${candidates.map((u) => fileURLToPath(u)).join(" or ")}`,
  );
}
