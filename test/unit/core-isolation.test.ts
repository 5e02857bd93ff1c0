// The pure parts of process isolation: where a step runs, the module a child needs, errors as
// data across the process boundary, the crash count behind `poison`, and the config section.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import {
  PermanentError,
  TransientError,
  WorkerCrashedError,
  checkIsolationModule,
  classifyError,
  deserializeError,
  isolationOf,
  pipeline,
  serializeError,
  step,
  withModule,
  type Pipeline,
} from "../../src/core/index.js";
import { workerCrashes } from "../../src/engine/isolation/poison.js";
import { loadConfig } from "../../src/ops/config.js";
import { loadPipelineModules } from "../../src/ops/pipeline-modules.js";
import type { TransitionRecord } from "../../src/store/records.js";

const a = step("a", () => 1);
const b = step("b", { after: [a], isolation: "process" }, () => 2);
const c = step("c", { after: [b], isolation: "inline" }, () => 3);

describe("isolation option", () => {
  it("a step's own isolation wins over its pipeline's, which wins over inline", () => {
    const p = pipeline("iso", [a, b, c], { isolation: "process", module: "file:///x/p.js" });
    expect([a, b, c].map((s) => isolationOf(p, s))).toEqual(["process", "process", "inline"]);
    const q = pipeline("iso2", [a]);
    expect(isolationOf(q, a)).toBe("inline");
  });

  it("refuses an isolated step without a module, names the pipeline and the fix", () => {
    const p = pipeline("needs-module", [a, b]);
    expect(() => checkIsolationModule(p)).toThrow(
      'pipeline "needs-module": step "b" runs with isolation: "process"',
    );
    expect(() => checkIsolationModule(withModule(p, "/srv/pipelines.js"))).not.toThrow();
    expect(() => checkIsolationModule(pipeline("inline-only", [a]))).not.toThrow();
  });

  it("the module is not part of the version; isolation is, and only when set", () => {
    const plain = pipeline("v", [a]);
    const placed = withModule(plain, "file:///srv/pipelines.js");
    expect(placed.version).toBe(plain.version);
    expect(placed.options.module).toBe("file:///srv/pipelines.js");
    expect(pipeline("v", [a], { module: "/srv/other.js" }).version).toBe(plain.version);
    expect(pipeline("v", [step("a", { isolation: "process" }, () => 1)]).version).not.toBe(
      plain.version,
    );
    // a module the pipeline names itself is kept
    const own = pipeline("v", [a], { module: "/srv/own.js" });
    expect(withModule(own, "/srv/config.js").options.module).toBe("/srv/own.js");
  });
});

describe("errors across the process boundary", () => {
  function roundTrip(error: Error): Error {
    return deserializeError(JSON.parse(JSON.stringify(serializeError(error))));
  }

  it("keeps the taxonomy's verdict: permanent codes, transient delays, well-known classes", () => {
    const permanent = roundTrip(new PermanentError("not a CSV", "parse_error"));
    expect(permanent).toBeInstanceOf(PermanentError);
    expect(classifyError(permanent)).toEqual({ retryable: false, code: "parse_error" });
    expect(permanent.message).toBe("not a CSV");

    const transient = roundTrip(
      new TransientError("slow down", "rate_limited", { nextRetryDelayMs: 30_000 }),
    );
    expect(transient).toBeInstanceOf(TransientError);
    expect((transient as TransientError).nextRetryDelayMs).toBe(30_000);

    expect(classifyError(roundTrip(new SyntaxError("Unexpected token")))).toEqual({
      retryable: false,
      code: "parse_error",
    });
    const denied = Object.assign(new Error("EACCES: /data"), { code: "EACCES" });
    expect(classifyError(roundTrip(denied))).toEqual({
      retryable: false,
      code: "permission_denied",
    });
    expect(classifyError(roundTrip(new Error("boom")))).toEqual({ retryable: true, code: "error" });
  });

  it("keeps the child's stack and a crash's details", () => {
    const original = new Error("deep down");
    expect(roundTrip(original).stack).toBe(original.stack);
    const crash = roundTrip(
      new WorkerCrashedError("parse", { pid: 42, exitCode: null, signal: "SIGKILL" }),
    );
    expect(classifyError(crash)).toEqual({ retryable: true, code: "worker_crashed" });
    expect(crash.message).toMatch(/pid 42.*signal SIGKILL/);
  });
});

describe("poison: worker crashes of a run", () => {
  let id = 0;
  const t = (step: string | null, to: string, reason: string): TransitionRecord =>
    ({
      id: ++id,
      runId: "r",
      step,
      from: null,
      to,
      reason,
      actor: "n",
      at: id,
      traceId: null,
      details: null,
    }) as TransitionRecord;

  it("counts worker_crashed step failures, of any step, since the last operator retry", () => {
    const trail = [
      t(null, "pending", "submitted"),
      t("a", "failed", "worker_crashed"),
      t("a", "failed", "error"),
      t("b", "failed", "worker_crashed"),
    ];
    expect(workerCrashes(trail)).toBe(2);
    expect(workerCrashes([...trail, t(null, "pending", "operator_retry")])).toBe(0);
    expect(
      workerCrashes([
        ...trail,
        t(null, "pending", "operator_retry"),
        t("a", "failed", "worker_crashed"),
      ]),
    ).toBe(1);
  });
});

describe("isolation: in keel.yaml", () => {
  it("has defaults, reads the file and the environment, refuses a bad value by name", () => {
    const file = join(mkdtempSync(join(tmpdir(), "keel-config-")), "keel.yaml");
    expect(loadConfig(undefined, {}).isolation).toEqual({ poison_after: 3, kill_grace_ms: 1000 });
    writeFileSync(file, "isolation:\n  poison_after: 5\n");
    expect(loadConfig(file, { KEEL_ISOLATION_KILL_GRACE_MS: "250" }).isolation).toEqual({
      poison_after: 5,
      kill_grace_ms: 250,
    });
    writeFileSync(file, "isolation:\n  poison_after: 0\n");
    expect(() => loadConfig(file, {})).toThrow(/keel\.yaml:2: isolation\.poison_after/);
    writeFileSync(file, "isolation:\n  poison_afte: 2\n");
    expect(() => loadConfig(file, {})).toThrow(/did you mean "poison_after"/);
  });

  it("a pipeline from a module listed under pipelines: knows that module", async () => {
    const file = fileURLToPath(
      new URL("../integration/fixtures/isolated-config-pipelines.mjs", import.meta.url),
    );
    const [p] = await loadPipelineModules([file]);
    expect(p?.options.module).toBe(pathToFileURL(file).href);
    expect(() => checkIsolationModule(p as Pipeline)).not.toThrow();
  });
});
