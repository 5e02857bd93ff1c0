import { join } from "node:path";

/** Where the example reads, writes and calls: each overridable for a test or a deploy. */
const here = import.meta.dirname ?? new URL(".", import.meta.url).pathname;

export const inbox = process.env.ETL_INBOX ?? join(here, "data/inbox");
export const warehouseFile = process.env.ETL_WAREHOUSE ?? join(here, "data/warehouse.db");
export const ratesUrl = process.env.ETL_RATES_URL ?? "http://127.0.0.1:7431";
