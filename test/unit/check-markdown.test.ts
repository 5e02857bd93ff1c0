import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// scripts/ is plain JavaScript run by `npm run lint`; a computed specifier keeps tsc out of it
const script = fileURLToPath(new URL("../../scripts/check-markdown.mjs", import.meta.url));
const { checkMarkdown } = (await import(script)) as {
  checkMarkdown: (text: string) => { line: number; message: string }[];
};

describe("the markdown check (scripts/check-markdown.mjs)", () => {
  it("finds an unclosed fence and an unlabelled block", () => {
    expect(checkMarkdown("# a\n\n```ts\nconst a = 1;\n```\n\n```sh\nls\n")).toEqual([
      { line: 7, message: "code fence never closed" },
    ]);
    expect(checkMarkdown("text\n\n```\nid: 1\n```\n")).toEqual([
      { line: 3, message: "code block without a language (use `text` for output or diagrams)" },
    ]);
  });

  it("finds a stray indented line, but not a list item's continuation or a fence's body", () => {
    expect(checkMarkdown("para\n\n    priority: -1\n")).toEqual([
      { line: 3, message: "indented line after a blank line renders as a code block" },
    ]);
    const fine =
      "- item\n\n    more of the item\n\n```yaml\na:\n\n    b: 1\n```\n\n````text\n```\n````\n";
    expect(checkMarkdown(fine)).toEqual([]);
  });

  it("wants each block run by the doc test or marked norun", () => {
    expect(checkMarkdown("```sql\nselect 1;\n```\n")).toEqual([
      {
        line: 1,
        message:
          "a `sql` block is not run by the doc test: mark it `sql norun` or use one of ts, sh, bash, yaml, json",
      },
    ]);
    expect(checkMarkdown("```sql norun\nselect 1;\n```\n\n```ts norun\nx;\n```\n")).toEqual([]);
  });

  it("wants a shell block that is not run to say why", () => {
    expect(checkMarkdown("```sh norun\nkeel start\n```\n")).toEqual([
      {
        line: 1,
        message:
          "a `sh norun` block says why it is not run: `sh norun <why>` (a synopsis, needs a PostgreSQL server...)",
      },
    ]);
    expect(checkMarkdown("```bash norun starts a node\nkeel start\n```\n")).toEqual([]);
  });

  it("passes on README.md and docs/ as they are", () => {
    expect(() => execFileSync(process.execPath, [script], { stdio: "pipe" })).not.toThrow();
  });
});
