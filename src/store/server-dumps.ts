/**
 * The dumps of a store kept by a server (PostgreSQL): the commands of the server's own dump tools,
 * built here so nothing above the store spells a backend's tool, flag or SQL. ops/ runs them (or,
 * when the tool is not installed, prints them for the operator to run). A password in the store
 * URL never goes on a command line, where `ps` would show it: it is passed in the environment.
 */
export interface ToolCommand {
  /** the executable, looked up on PATH */
  tool: string;
  args: string[];
  /** extra environment for the tool (the password) */
  env: Record<string, string>;
  /** the command as an operator would type it: no password in it */
  display: string;
}

/** What a dump holds, read from its table of contents. */
export interface DumpContents {
  schemas: string[];
  /** `schema.table` of every table in the dump */
  tables: string[];
}

export interface ServerDumps {
  /** the schema a store URL names (its ?schema=, else the default) */
  schemaOf(url: string): string;
  /** writes a dump of the store's schema (custom format) to `file` */
  dump(url: string, file: string): ToolCommand;
  /** lists a dump's table of contents on stdout (reads the file only) */
  list(file: string): ToolCommand;
  /** loads a dump into the database of `url`, in one transaction, stopping at the first error */
  restore(url: string, file: string): ToolCommand;
  contents(listing: string): DumpContents;
  /** renames the store's schema to `aside`; false when there is no such schema */
  moveAside(url: string, aside: string): Promise<boolean>;
  /** drops the schema a failed restore left half made, and renames `aside` back */
  moveBack(url: string, aside: string): Promise<void>;
}
