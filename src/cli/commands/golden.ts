import type { Command } from "commander";
import { diffGoldenOp, listGoldens, saveGoldenOp } from "../../api/operations/determinism.js";
import { withClient } from "../client.js";
import { textFlag } from "../flags.js";
import { printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

/** `keel golden save|diff|list`: a run's outputs kept as the reference, and diffs against it. */
export function registerGolden(program: Command, global: () => GlobalOptions): void {
  const golden = program
    .command("golden")
    .description("golden records: save a run's outputs under a name, diff runs and goldens");

  golden
    .command("save")
    .description("save a run's step outputs as a golden record (operator, audited)")
    .argument("<run>", "run id")
    .requiredOption("--name <name>", "the golden's name: letters, digits, _ . -")
    .option("--note <note>", "why this run is the reference", textFlag("--note", "release 1.4"))
    .option("--replace", "overwrite a golden of that name")
    .addHelpText(
      "after",
      '\nExamples:\n  keel golden save run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z --name pricing-v1 --note "release 1.4"',
    )
    .action(
      action(async (run: string, opts: { name: string; note?: string; replace?: boolean }) => {
        const g = global();
        const saved = await withClient(g, (client) =>
          client.call(saveGoldenOp, {
            body: { run, name: opts.name, note: opts.note, replace: opts.replace },
          }),
        );
        if (g.format === "json") printJson(saved);
        else
          process.stdout.write(
            `saved golden ${saved.name} from run ${saved.run} (${saved.steps.length} steps)\n`,
          );
      }),
    );

  golden
    .command("list")
    .description("the golden records, by name")
    .addHelpText("after", "\nExamples:\n  keel golden list --format json")
    .action(
      action(async () => {
        const g = global();
        const page = await withClient(g, (client) => client.call(listGoldens, {}));
        if (g.format === "json") printJson(page);
        else
          printTable(
            page.goldens.map((x) => ({
              name: x.name,
              pipeline: x.pipeline,
              run: x.run,
              steps: x.steps.length,
              created: x.created_at,
              by: x.created_by,
              note: x.note,
            })),
            ["name", "pipeline", "run", "steps", "created", "by", "note"],
          );
      }),
    );

  golden
    .command("diff")
    .description("structural diff of two runs or goldens, step by step, volatile fields masked")
    .argument("<a>", "a run id or a golden's name")
    .argument("<b>", "a run id or a golden's name")
    .addHelpText(
      "after",
      `
Exit codes: 0 the same; 1 different (or one side unknown); 2 bad arguments.

Examples:
  keel golden diff pricing-v1 run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z
  keel golden diff run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z run_01JD5V2A0000000000000000 --format json`,
    )
    .action(
      action(async (a: string, b: string) => {
        const g = global();
        const diff = await withClient(g, (client) =>
          client.call(diffGoldenOp, { query: { a, b } }),
        );
        if (g.format === "json") printJson(diff);
        else {
          printTable(
            diff.steps.map((s) => ({
              step: s.step,
              status: s.status,
              fields: s.fields.map((f) => f.path).join(" ") || null,
            })),
            ["step", "status", "fields"],
          );
          for (const s of diff.steps)
            for (const f of s.fields.slice(0, 5))
              process.stdout.write(
                `  ${s.step} ${f.path}: ${JSON.stringify(f.a)} -> ${JSON.stringify(f.b)}\n`,
              );
          process.stdout.write(diff.same ? "same\n" : "different\n");
        }
        return diff.same ? ExitCode.ok : ExitCode.failed;
      }),
    );
}
