import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLogger, redactPaths } from "../../src/engine/logger.js";

describe("path redaction (security.path_redaction)", () => {
  it("turns absolute paths into their file name, leaving URLs and relative names alone", () => {
    expect(redactPaths("backup /root/.keel/backups/keel-1.db done")).toBe(
      "backup …/keel-1.db done",
    );
    expect(redactPaths("at file:///work/app/dist/step.js:3:9")).toBe("at file://…/step.js:3:9");
    expect(redactPaths("http://127.0.0.1:7420/v1/runs and https://x.y/a/b")).toBe(
      "http://127.0.0.1:7420/v1/runs and https://x.y/a/b",
    );
    expect(redactPaths("see ./keel.yaml or keel.db or /tmp")).toBe(
      "see ./keel.yaml or keel.db or /tmp",
    );
    expect(
      redactPaths({ a: ["/var/lib/keel/keel.db"], n: 3, b: { c: "(/etc/keel/keel.yaml)" } }),
    ).toEqual({
      a: ["…/keel.db"],
      n: 3,
      b: { c: "(…/keel.yaml)" },
    });
  });

  it("leaves a request's URL path alone: the access log's route is not a file", () => {
    const line = { method: "POST", route: "/v1/runs/:id/cancel", url: "/v1/runs?status=failed" };
    expect(redactPaths(line)).toEqual(line);
    expect(redactPaths({ route: "file:///srv/app/x.js", msg: "/srv/app/x.js" })).toEqual({
      route: "file://…/x.js",
      msg: "…/x.js",
    });
  });

  it("a logger with it on writes no full path in messages, fields or error stacks; off, it does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-log-"));
    try {
      for (const redact of [true, false]) {
        const file = join(dir, `log-${redact}.ndjson`);
        const log = createLogger({ level: "info", destination: file, redactPaths: redact });
        log.info(
          {
            file: "/srv/data/inbox/invoice-7.pdf",
            err: new Error("cannot read /srv/data/inbox/invoice-7.pdf"),
          },
          "watch picked up /srv/data/inbox/invoice-7.pdf",
        );
        log.flush();
        await new Promise((r) => setTimeout(r, 100));
        const line = JSON.parse(readFileSync(file, "utf8").trim().split("\n")[0]!);
        const text = JSON.stringify(line);
        if (redact) {
          expect(text).not.toContain("/srv/data");
          expect(line).toMatchObject({
            file: "…/invoice-7.pdf",
            msg: "watch picked up …/invoice-7.pdf",
          });
          expect(line.err).toMatchObject({ type: "Error", message: "cannot read …/invoice-7.pdf" });
        } else expect(text).toContain("/srv/data/inbox/invoice-7.pdf");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
