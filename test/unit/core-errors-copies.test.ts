import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  PermanentError,
  isPermanentError,
  keel,
  type Keel,
  type Pipeline,
} from "../../src/index.js";
import { silentLogger } from "../engine/helpers.js";

/**
 * A pipeline module that resolves its own copy of keel (its own node_modules, a bundler, a
 * monorepo with two versions) throws that copy's error classes. The node must still read them:
 * errors are recognised by marker properties, not instanceof. The copy is the built library
 * (dist/) copied to a temp folder: run `npm run build` first.
 */
const repo = fileURLToPath(new URL("../../", import.meta.url));
let dir = "";
let copied: { pipelines: Pipeline[]; PermanentError: new (m: string, c?: string) => Error };

beforeAll(async () => {
  if (!existsSync(join(repo, "dist/src/index.js")))
    throw new Error("dist/ is missing: run npm run build before this test");
  dir = mkdtempSync(join(tmpdir(), "keel-copy-"));
  cpSync(join(repo, "dist"), join(dir, "keel-copy/dist"), { recursive: true });
  writeFileSync(join(dir, "keel-copy/package.json"), '{ "type": "module" }\n');
  symlinkSync(join(repo, "node_modules"), join(dir, "node_modules"));
  writeFileSync(
    join(dir, "pipelines.mjs"),
    `import { PermanentError, TransientError, pipeline, step } from "./keel-copy/dist/src/index.js";
export { PermanentError };
export const pipelines = [
  pipeline("parse-copy", [
    step("parse", () => {
      throw new PermanentError("unexpected token at line 1", "parse_error");
    }),
  ]),
  pipeline("limit-copy", [
    step("call", { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 } }, () => {
      throw new TransientError("slow down", "rate_limited", { nextRetryDelayMs: 1 });
    }),
  ]),
];
`,
  );
  copied = await import(pathToFileURL(join(dir, "pipelines.mjs")).href);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("errors thrown by a second copy of keel", () => {
  let node: Keel | undefined;
  afterAll(async () => node?.stop({ force: true }));

  it("are a second copy's classes, yet recognised by the guards", () => {
    const error = new copied.PermanentError("x", "parse_error");
    expect(error).not.toBeInstanceOf(PermanentError);
    expect(isPermanentError(error)).toBe(true);
  });

  it("quarantine the run at once for the copy's PermanentError, and keep the copy's codes", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-copy-home-"));
    try {
      node = await keel({ home, logger: silentLogger, pipelines: copied.pipelines }).start();
      const parse = await node.submit("parse-copy", {});
      const done = await node.wait(parse.id, { timeoutMs: 10_000 });
      expect(done.status).toBe("quarantined");
      expect(done.quarantineReason).toBe("permanent:parse_error");
      expect(done.attempts).toBe(1);

      const limited = await node.wait((await node.submit("limit-copy", {})).id, {
        timeoutMs: 10_000,
      });
      expect(limited).toMatchObject({ status: "quarantined", attempts: 2 });
      expect(limited.error?.code).toBe("rate_limited");
      await node.stop();
      node = undefined;
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 30_000);
});
