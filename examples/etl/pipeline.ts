import { mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { PermanentError, pipeline, step, TransientError } from "keel";
import { inbox, ratesUrl, warehouseFile } from "./settings.ts";
import { loadOrders } from "./warehouse.ts";

/**
 * A small ETL: CSV files dropped in a folder are loaded into a SQLite warehouse with their amounts
 * in EUR. `extract` fans out to `clean` and `rates` (a flaky HTTP service behind the `rates-api`
 * breaker, retried), which fan in to `load`. keel.yaml's cron source runs it every few seconds.
 *
 *   extract ─┬─ clean ─┬─ load
 *            └─ rates ─┘
 */
interface RawFile {
  name: string;
  lines: { line: number; fields: string[] }[];
}

const extract = step("extract", async () => {
  mkdirSync(inbox, { recursive: true });
  const names = readdirSync(inbox)
    .filter((n) => n.endsWith(".csv"))
    .sort();
  const files: RawFile[] = names.map((name) => ({
    name,
    lines: readFileSync(join(inbox, name), "utf8")
      .split("\n")
      .map((text, i) => ({ line: i + 1, fields: text.split(",").map((f) => f.trim()) }))
      // the header and blank lines are not orders
      .filter((l) => l.line > 1 && l.fields.join("") !== ""),
  }));
  return { files };
});

const clean = step("clean", { after: [extract] }, (ctx, { extract }) => {
  const orders = [];
  let rejected = 0;
  for (const file of extract.files)
    for (const { line, fields } of file.lines) {
      const [customer, amount, currency] = fields;
      const value = Number(amount);
      if (!customer || !Number.isFinite(value) || !/^[A-Z]{3}$/.test(currency ?? "")) {
        rejected += 1;
        ctx.log.warn({ file: file.name, line }, "order line rejected");
        continue;
      }
      orders.push({ file: file.name, line, customer, amount: value, currency: currency as string });
    }
  return { orders, rejected, files: extract.files.map((f) => f.name) };
});

const rates = step(
  "rates",
  {
    after: [extract],
    uses: ["rates-api"],
    retry: { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 2000 },
    timeout: 5000,
  },
  async (ctx, { extract }) => {
    if (extract.files.length === 0) return { eur: {} as Record<string, number> };
    const response = await fetch(`${ratesUrl}/rates`, { signal: ctx.signal });
    // a 5xx is the service's trouble: retried, and counted by the breaker
    if (response.status >= 500)
      throw new TransientError(`rates service answered ${response.status}`, "rates_unavailable");
    if (!response.ok)
      throw new PermanentError(`rates service answered ${response.status}`, "rates_refused");
    return { eur: (await response.json()) as Record<string, number> };
  },
);

const load = step("load", { after: [clean, rates] }, (ctx, { clean, rates }) => {
  const rows = clean.orders.map((o) => {
    const rate = rates.eur[o.currency];
    if (rate === undefined)
      throw new PermanentError(`no rate for ${o.currency}`, "unknown_currency");
    return {
      file: o.file,
      line: o.line,
      customer: o.customer,
      amountEur: Math.round(o.amount * rate * 100) / 100,
    };
  });
  const loaded = loadOrders(warehouseFile, rows);
  // only once the rows are in: a crash before this line loads the same file again, harmlessly
  const done = join(inbox, "done");
  mkdirSync(done, { recursive: true });
  const files = clean.files;
  for (const file of files) renameSync(join(inbox, file), join(done, file));
  return { loaded, rejected: clean.rejected, files };
});

export const etl = pipeline("etl", [extract, clean, rates, load], { module: import.meta.url });
