import type { DumpContents, ServerDumps, ToolCommand } from "../server-dumps.js";
import { pgModule } from "./driver.js";
import { asStoreError } from "./errors.js";
import { checkSchema, parsePostgresUrl, quoteIdent } from "./open.js";

/**
 * pg_dump and pg_restore for a PostgreSQL store (../server-dumps.ts). A dump holds the store's
 * schema only (`--schema`), in the custom format pg_restore reads, ownership and grants included,
 * so the node role's rights come back with it.
 */
function connection(url: string): { url: string; schema: string; env: Record<string, string> } {
  const target = parsePostgresUrl(url);
  const parsed = new URL(target.url);
  const env: Record<string, string> = {};
  if (parsed.password) env.PGPASSWORD = decodeURIComponent(parsed.password);
  parsed.password = "";
  return { url: parsed.toString(), schema: target.schema, env };
}

function command(tool: string, args: string[], env: Record<string, string>): ToolCommand {
  const shown = args.map((a) =>
    /^[\w./:=@?&%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`,
  );
  const prefix = env.PGPASSWORD ? "PGPASSWORD=... " : "";
  return { tool, args, env, display: `${prefix}${tool} ${shown.join(" ")}` };
}

export const postgresDumps: ServerDumps = {
  schemaOf: (url) => parsePostgresUrl(url).schema,

  dump(url, file) {
    const c = connection(url);
    return command(
      "pg_dump",
      ["--format=custom", `--schema=${c.schema}`, `--file=${file}`, `--dbname=${c.url}`],
      c.env,
    );
  },

  list: (file) => command("pg_restore", ["--list", file], {}),

  restore(url, file) {
    const c = connection(url);
    return command(
      "pg_restore",
      ["--single-transaction", "--exit-on-error", `--dbname=${c.url}`, file],
      c.env,
    );
  },

  contents(listing: string): DumpContents {
    const schemas: string[] = [];
    const tables: string[] = [];
    // a table-of-contents line: "215; 2615 16386 SCHEMA - keel postgres" / "... TABLE keel runs owner"
    for (const line of listing.split("\n")) {
      const m = /^\d+; \d+ \d+ (SCHEMA|TABLE) (\S+) (\S+)/.exec(line);
      if (!m) continue;
      if (m[1] === "SCHEMA") schemas.push(m[3] as string);
      else tables.push(`${m[2]}.${m[3]}`);
    }
    return { schemas, tables };
  },

  async moveAside(url, aside) {
    const c = connection(url);
    checkSchema(aside);
    return onServer(url, async (client) => {
      const found = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [c.schema]);
      if (found.rowCount === 0) return false;
      await client.query(`ALTER SCHEMA ${quoteIdent(c.schema)} RENAME TO ${quoteIdent(aside)}`);
      return true;
    });
  },

  async moveBack(url, aside) {
    const c = connection(url);
    await onServer(url, async (client) => {
      await client.query("BEGIN");
      await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(c.schema)} CASCADE`);
      await client.query(`ALTER SCHEMA ${quoteIdent(aside)} RENAME TO ${quoteIdent(c.schema)}`);
      await client.query("COMMIT");
    });
  },
};

async function onServer<T>(
  url: string,
  fn: (client: import("pg").Client) => Promise<T>,
): Promise<T> {
  const { Client } = pgModule();
  const client = new Client({ connectionString: parsePostgresUrl(url).url });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return await fn(client);
  } catch (error) {
    throw asStoreError(error, url);
  } finally {
    await client.end().catch(() => undefined);
  }
}
