import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNode, writeConfig, type NodeProcess } from "../integration/node-process.js";
import { launchBrowser, newContext } from "./browser.js";

/**
 * The console in a real chromium against a real `keel start` node: log in, watch a run go live,
 * act on runs, the quarantine, breakers, sources and the emergency stop, and check a viewer can
 * act on nothing. Every action goes through the API (the audit log names `token:<name>/console`).
 * KEEL_UPDATE_SCREENSHOTS=1 writes each page's screenshot into docs/console/.
 */
const fixture = join(import.meta.dirname, "fixtures", "console-pipelines.mjs");
const shots = process.env.KEEL_UPDATE_SCREENSHOTS
  ? join(import.meta.dirname, "..", "..", "docs", "console")
  : join(import.meta.dirname, "..", "..", "test-output", "console");

let home: string;
let node: NodeProcess;
let url: string;
let admin: string;
let browser: Browser;
let page: Page;

async function api<T>(method: string, path: string, body?: unknown, token = admin): Promise<T> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json()) as T;
  if (!response.ok)
    throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

const submit = (input: Record<string, unknown>, pipeline = "orders") =>
  api<{ id: string }>("POST", "/v1/runs", { pipeline, input });

async function waitStatus(id: string, status: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const run = await api<{ status: string }>("GET", `/v1/runs/${id}`);
    if (run.status === status) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${id} never became ${status}`);
}

async function loginLink(): Promise<string> {
  const link = await api<{ path: string }>("POST", "/v1/console/links");
  return `${url}${link.path}`;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  home = mkdtempSync(join(tmpdir(), "keel-console-"));
  const config = writeConfig(
    home,
    [fixture],
    [
      "server:",
      "  port: 0",
      "breakers:",
      "  geo-api:",
      "    failure_threshold: 3",
      "sources:",
      "  nightly-orders:",
      "    pipeline: orders",
      "    cron: '0 3 * * *'",
      "    input: { order: nightly, ms: 0 }",
    ].join("\n"),
  );
  node = startNode(home, config);
  await node.ready;
  url = (JSON.parse(readFileSync(join(home, "api.json"), "utf8")) as { url: string }).url;
  admin = readFileSync(join(home, "admin.token"), "utf8").trim();
  browser = await launchBrowser();
  page = await (await newContext(browser)).newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (node && node.child.exitCode === null) {
    node.child.kill("SIGTERM");
    await node.exited;
  }
  rmSync(home, { recursive: true, force: true });
});

describe("the console in a real browser", () => {
  it("refuses a bad token and says why", async () => {
    await page.goto(url);
    await page
      .getByLabel("API token")
      .fill("keel_000000000000_notarealsecretnotarealsecretnotarealsec");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect
      .poll(() => page.getByRole("alert").textContent())
      .toMatch(/unknown, revoked or malformed/);
    await shot("login");
  });

  it("logs in once with a one-time link; the same link is refused the second time", async () => {
    const link = await loginLink();
    await page.goto(link);
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    // the cluster's nodes and the alerts keel evaluates, on the overview
    await page.locator("[data-node] .badge-online").first().waitFor();
    await page.getByRole("heading", { name: "Alerts" }).waitFor();
    // the code left the address bar
    expect(page.url()).not.toContain("code=");
    await page.getByRole("status", { name: "live updates: live" }).waitFor();
    const other = await (await newContext(browser)).newPage();
    await other.goto(link);
    await expect
      .poll(() => other.getByRole("alert").textContent())
      .toMatch(/unknown, used or expired/);
    await other.context().close();
  });

  it("shows a run go live from pending to succeeded, its DAG coloured by step", async () => {
    const run = await submit({ order: "o-live", ms: 1500 });
    await page.goto(`${url}/#/runs/${run.id}`);
    await page.locator('[data-step="fetch"].state-running').waitFor({ timeout: 10_000 });
    // the running step's row, with its progress report
    await expect
      .poll(() => page.locator("[data-running] [data-progress]").textContent(), { timeout: 10_000 })
      .toContain("1 of 4 reading the order");
    await page.locator('[data-step="ship"].state-succeeded').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator("h1 .badge").textContent()).toBe("succeeded");
    await shot("run");
  });

  it("cancels a running run with a reason, audited as the console", async () => {
    const run = await submit({ order: "o-cancel", ms: 30_000 });
    await waitStatus(run.id, "running");
    await page.goto(`${url}/#/runs/${run.id}`);
    await page.getByRole("button", { name: "Cancel…" }).click();
    await page.getByLabel("Reason (for the audit log)").fill("customer called it off");
    await page.getByRole("button", { name: "Cancel the run" }).click();
    await expect
      .poll(() => page.locator("h1 .badge").textContent(), { timeout: 10_000 })
      .toBe("cancelled");
    const audit = await api<{
      entries: { actor: string; action: string; target: string; reason: string }[];
    }>("GET", "/v1/audit?action=run.cancel");
    expect(audit.entries[0]).toMatchObject({ target: run.id, reason: "customer called it off" });
    expect(audit.entries[0]?.actor).toMatch(/^token:console-\d{8}T\d{6}\/console$/);
  });

  it("retries a run from a step picked on the DAG, after showing what will be cleared", async () => {
    const run = await submit({ order: "o-redo", ms: 0 });
    await waitStatus(run.id, "succeeded");
    await page.goto(`${url}/#/runs/${run.id}`);
    await page.locator('[data-step="price"]').click();
    const preview = page.locator('[data-preview="cleared"]');
    await expect.poll(() => preview.textContent()).toContain("price, ship");
    await shot("retry-from-step");
    await page.getByLabel("Note (for the audit log)").fill("price list fixed");
    await page.getByRole("button", { name: /Clear 2 step\(s\) and retry/ }).click();
    await waitStatus(run.id, "succeeded");
    const details = await api<{ transitions: { step: string | null; reason: string }[] }>(
      "GET",
      `/v1/runs/${run.id}`,
    );
    const restarted = details.transitions.filter((t) => t.reason === "started").map((t) => t.step);
    expect(restarted).toEqual(["fetch", "price", "ship", "price", "ship"]);
  });

  it("purges exactly the quarantined runs its dry run listed", async () => {
    const failed = [
      await submit({ order: "o-bad-1", fail: true }),
      await submit({ order: "o-bad-2", fail: true }),
    ];
    for (const r of failed) await waitStatus(r.id, "quarantined");
    await page.goto(`${url}/#/quarantine`);
    await page.locator('[data-reason="permanent:bad_price"]').waitFor();
    await page.getByRole("button", { name: "Purge…" }).click();
    await page.getByRole("button", { name: "Preview (dry run)" }).click();
    const preview = page.locator('[data-preview="purge"]');
    await expect.poll(() => preview.textContent()).toContain("2 run(s) would be deleted");
    await shot("quarantine-purge");
    // quarantined after the preview: not listed, so it must stay
    const late = await submit({ order: "o-bad-late", fail: true });
    await waitStatus(late.id, "quarantined");
    await page.getByRole("button", { name: "Delete these 2 run(s)" }).click();
    await expect
      .poll(async () =>
        (await api<{ runs: { id: string }[] }>("GET", "/v1/quarantine")).runs.map((r) => r.id),
      )
      .toEqual([late.id]);
  });

  it("trips and resets a breaker", async () => {
    await page.goto(`${url}/#/breakers`);
    await page.getByRole("button", { name: "trip geo-api" }).click();
    await page.getByLabel("Reason (for the audit log)").fill("geo provider outage");
    await page.getByRole("button", { name: "Open it on every node" }).click();
    await page.locator('[data-breaker="geo-api"][data-state="open"]').waitFor();
    await shot("breakers");
    await page.getByRole("button", { name: "reset geo-api" }).click();
    await page.getByRole("button", { name: /Close it/ }).click();
    await page.locator('[data-breaker="geo-api"][data-state="closed"]').waitFor();
  });

  it("pauses a source with a reason and triggers it", async () => {
    await page.goto(`${url}/#/sources`);
    await page.getByRole("button", { name: "pause nightly-orders" }).click();
    await page.getByLabel("Reason (for the audit log)").fill("warehouse closed today");
    await page.getByRole("button", { name: /^Pause:/ }).click();
    await expect
      .poll(() => page.locator('[data-source="nightly-orders"]').textContent())
      .toContain("warehouse closed today");
    await page.getByRole("button", { name: "trigger nightly-orders now" }).click();
    await page.locator('[data-source="nightly-orders"] a[href^="#/runs/run_"]').waitFor();
    await shot("sources");
    const source = await api<{ sources: { paused: boolean; pause_reason: string }[] }>(
      "GET",
      "/v1/sources",
    );
    expect(source.sources[0]).toMatchObject({
      paused: true,
      pause_reason: "warehouse closed today",
    });
  });

  it("turns the emergency stop on with a reason and off again", async () => {
    await page.goto(`${url}/#/`);
    await page.getByRole("button", { name: "Turn the emergency stop on" }).click();
    await page.getByLabel("Why (for the audit log)").fill("bad deploy of the pricer");
    await page.getByRole("button", { name: "Stop every node starting steps" }).click();
    await page.locator('[data-emergency="on"]').waitFor();
    expect((await api<{ on: boolean; reason: string }>("GET", "/v1/emergency")).reason).toBe(
      "bad deploy of the pricer",
    );
    await page.getByRole("button", { name: "Turn the emergency stop off" }).click();
    await page.getByRole("button", { name: "Let nodes start steps again" }).click();
    await page.locator('[data-emergency="off"]').waitFor();
    await shot("overview");
  });

  it("takes a screenshot of the runs, audit and tokens pages", async () => {
    for (const name of ["runs", "audit", "tokens"]) {
      await page.goto(`${url}/#/${name}`);
      await page.locator("main table tbody tr").first().waitFor();
      await shot(name);
    }
  });

  it("lets a viewer see everything and act on nothing", async () => {
    const viewer = await api<{ token: string }>("POST", "/v1/tokens", {
      name: "ana",
      role: "viewer",
    });
    const context = await newContext(browser);
    const view = await context.newPage();
    await view.goto(url);
    await view.getByLabel("API token").fill(viewer.token);
    await view.getByRole("button", { name: "Log in" }).click();
    await view.getByRole("heading", { name: "Overview" }).waitFor();
    expect(await view.getByRole("link", { name: "Tokens" }).count()).toBe(0);
    expect(
      await view.getByRole("button", { name: "Turn the emergency stop on" }).isDisabled(),
    ).toBe(true);
    for (const path of ["breakers", "sources", "quarantine"]) {
      await view.goto(`${url}/#/${path}`);
      const actions = view
        .locator("main button")
        .filter({ hasText: /^(Trip…|Reset…|Pause…|Trigger now|Resume|Purge…|Retry…|Cancel…)$/ });
      await actions.first().waitFor();
      const found = await actions.all();
      // the page shows its actions, each disabled: none missing, none enabled
      expect(found.length, `actions on ${path}`).toBeGreaterThan(0);
      for (const button of found) expect(await button.isDisabled()).toBe(true);
    }
    // and the API refuses the viewer's change all the same
    const refused = await view.evaluate(async (token) => {
      const r = await fetch("/v1/emergency/on", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ reason: "viewer tries" }),
      });
      return r.status;
    }, viewer.token);
    expect(refused).toBe(403);
    await context.close();
  });
});
