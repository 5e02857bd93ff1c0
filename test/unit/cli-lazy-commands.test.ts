import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { entriesFor } from "../../src/cli/command-word.js";
import { commandEntries, type CommandEntry } from "../../src/cli/commands/index.js";
import { buildProgram } from "../../src/cli/main.js";
import type { GlobalOptions } from "../../src/cli/session.js";

/** the commands the CLI registers lazily: which groups a command line loads, and that it suffices */
const argv = (...args: string[]) => ["node", "keel", ...args];
const names = (entries: readonly CommandEntry[]) => entries.map((e) => e.names.join("+"));

/** every help text of a command and its subcommands, by command path */
function helps(command: Command, path = command.name()): Map<string, string> {
  const out = new Map([[path, command.helpInformation()]]);
  for (const sub of command.commands)
    for (const [p, text] of helps(sub, `${path} ${sub.name()}`)) out.set(p, text);
  return out;
}

describe("the CLI's lazily loaded commands", () => {
  it("lists each group under the names its module registers, none twice", async () => {
    const global = (): GlobalOptions => ({ format: "table" });
    for (const entry of commandEntries) {
      const program = new Command("keel");
      (await entry.load())(program, global);
      expect(program.commands.map((c) => c.name())).toEqual(entry.names);
    }
    const all = commandEntries.flatMap((e) => e.names);
    expect(new Set(all).size).toBe(all.length);
  });

  it("loads the one group a command line names, past the program's own options", async () => {
    const program = await buildProgram(argv("--version"));
    const pick = (...args: string[]) => names(entriesFor(program, args, commandEntries));
    expect(pick("jobs", "list")).toEqual(["jobs"]);
    expect(pick("--format", "json", "--home", "/tmp/h", "jobs", "list")).toEqual(["jobs"]);
    expect(pick("--format=json", "health", "check", "disk")).toEqual(["status+health"]);
    expect(pick("--api-timeout", "500", "status")).toEqual(["status+health"]);
    // a value that reads like a command is the option's, not the command word
    expect(pick("--home", "jobs", "status")).toEqual(["status+health"]);
  });

  it("loads none for --version, and every group where only the whole tree answers", async () => {
    const program = await buildProgram(argv("--version"));
    const pick = (...args: string[]) => entriesFor(program, args, commandEntries).length;
    expect(pick("--version")).toBe(0);
    expect(pick("--home", "/tmp/h", "-V")).toBe(0);
    const all = commandEntries.length;
    for (const args of [
      [],
      ["--help"],
      ["-h", "jobs"],
      ["help", "jobs"],
      ["jobz"],
      ["--bogus", "jobs"],
      ["--", "jobs"],
      ["--version=1"],
      ["completion", "bash"],
      ["--format", "json"],
    ])
      expect(pick(...args), args.join(" ")).toBe(all);
  });

  it("builds the program with the groups the line needs", async () => {
    expect((await buildProgram(argv("--version"))).commands).toEqual([]);
    const jobs = await buildProgram(argv("jobs", "list", "--limit", "5"));
    expect(jobs.commands.map((c) => c.name())).toEqual(["jobs"]);
    const whole = await buildProgram();
    expect(whole.commands.map((c) => c.name())).toEqual(commandEntries.flatMap((e) => e.names));
  });

  it("gives every command the same help as the whole tree does", async () => {
    const whole = helps(await buildProgram());
    let compared = 0;
    for (const entry of commandEntries)
      for (const name of entry.names) {
        const program = await buildProgram(argv(name, "--help"));
        for (const command of program.commands)
          for (const [path, text] of helps(command, `keel ${command.name()}`)) {
            expect(text, path).toBe(whole.get(path));
            compared += 1;
          }
      }
    expect(compared).toBeGreaterThan(80);
  });
});
