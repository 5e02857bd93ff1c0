import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The fenced code blocks of README.md and docs/, for the doc tests. A block's info string is its
 * language, then markers: `norun` (not run, with the reason after it for shell blocks), see
 * docs/README.md "Code blocks".
 */
export const root = fileURLToPath(new URL("../../", import.meta.url));

export interface Block {
  /** file:line of the opening fence */
  where: string;
  file: string;
  language: string;
  markers: string[];
  body: string;
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? markdownFiles(join(dir, e.name))
      : e.name.endsWith(".md")
        ? [join(dir, e.name)]
        : [],
  );
}

export function allBlocks(): Block[] {
  const found: Block[] = [];
  for (const file of [join(root, "README.md"), ...markdownFiles(join(root, "docs"))]) {
    const lines = readFileSync(file, "utf8").split("\n");
    let open: { indent: number; marker: string; info: string; line: number } | null = null;
    let body: string[] = [];
    lines.forEach((line, i) => {
      const match = /^( *)(`{3,}|~{3,})(.*)$/.exec(line);
      const fence = match && {
        indent: match[1] ?? "",
        marker: match[2] ?? "",
        info: match[3] ?? "",
      };
      if (open) {
        if (fence && fence.marker.startsWith(open.marker) && fence.info.trim() === "") {
          const [language = "", ...markers] = open.info.split(/\s+/);
          found.push({
            where: `${relative(root, file)}:${open.line}`,
            file: relative(root, file),
            language,
            markers,
            body: body.join("\n"),
          });
          open = null;
        } else body.push(line.slice(Math.min(open.indent, line.search(/\S|$/))));
        return;
      }
      if (fence) {
        open = {
          indent: fence.indent.length,
          marker: fence.marker,
          info: fence.info.trim(),
          line: i + 1,
        };
        body = [];
      }
    });
  }
  return found;
}

/** the blocks the doc tests check: not `text`, not marked `norun` */
export function checkedBlocks(): Block[] {
  return allBlocks().filter((b) => b.language !== "text" && !b.markers.includes("norun"));
}
