import type { Command } from "commander";
import type { GlobalOptions } from "../session.js";

/** Adds a command group (its subcommands, options, help and actions) to the program. */
export type Register = (program: Command, global: () => GlobalOptions) => void;

export interface CommandEntry {
  /** the top-level command names the module registers */
  names: readonly string[];
  /** imports the module: only for a command line that runs one of these names, or needs them all */
  load: () => Promise<Register>;
  /** the command reads the whole tree (completion walks every command) */
  wholeTree?: true;
  /**
   * the command runs pipeline code in this process (a node, the demo, replays): it runs on keel's
   * own modules, which the pipeline modules import too, never on the CLI's bundle (main.ts)
   */
  pipelineCode?: true;
}

/**
 * Every top-level command, in the order `keel --help` lists them. A command module and what it
 * imports are loaded only when its command runs, so `keel jobs list` never loads the node's HTTP
 * server or the pipeline runner. A new command group is one entry here.
 */
export const commandEntries: readonly CommandEntry[] = [
  {
    names: ["demo"],
    load: async () => (await import("./demo.js")).registerDemo,
    pipelineCode: true,
  },
  {
    names: ["start"],
    load: async () => (await import("./start.js")).registerStart,
    pipelineCode: true,
  },
  { names: ["stop"], load: async () => (await import("./stop.js")).registerStop },
  { names: ["submit"], load: async () => (await import("./submit.js")).registerSubmit },
  { names: ["jobs"], load: async () => (await import("./jobs.js")).registerJobs },
  { names: ["db"], load: async () => (await import("./db.js")).registerDb },
  { names: ["quarantine"], load: async () => (await import("./quarantine.js")).registerQuarantine },
  { names: ["audit"], load: async () => (await import("./audit.js")).registerAudit },
  { names: ["sources"], load: async () => (await import("./sources.js")).registerSources },
  { names: ["emergency"], load: async () => (await import("./emergency.js")).registerEmergency },
  { names: ["events"], load: async () => (await import("./events.js")).registerEvents },
  { names: ["tokens"], load: async () => (await import("./tokens.js")).registerTokens },
  { names: ["nodes"], load: async () => (await import("./nodes.js")).registerNodes },
  { names: ["breakers"], load: async () => (await import("./breakers.js")).registerBreakers },
  { names: ["gates"], load: async () => (await import("./gates.js")).registerGates },
  { names: ["alerts"], load: async () => (await import("./alerts.js")).registerAlerts },
  { names: ["status", "health"], load: async () => (await import("./status.js")).registerStatus },
  { names: ["config"], load: async () => (await import("./config.js")).registerConfig },
  { names: ["telemetry"], load: async () => (await import("./telemetry.js")).registerTelemetry },
  { names: ["console"], load: async () => (await import("./console.js")).registerConsole },
  { names: ["doctor"], load: async () => (await import("./doctor.js")).registerDoctor },
  {
    names: ["completion"],
    load: async () => (await import("./completion.js")).registerCompletion,
    wholeTree: true,
  },
  {
    names: ["verify"],
    load: async () => (await import("./verify.js")).registerVerify,
    pipelineCode: true,
  },
  {
    names: ["golden"],
    load: async () => (await import("./golden.js")).registerGolden,
    pipelineCode: true,
  },
  {
    names: ["shadow"],
    load: async () => (await import("./shadow.js")).registerShadow,
    pipelineCode: true,
  },
  { names: ["incident"], load: async () => (await import("./incident.js")).registerIncident },
];
