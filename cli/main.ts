import yargs from "yargs";
import { check } from "./commands/check.ts";
import { explain } from "./commands/explain.ts";
import { fmt } from "./commands/fmt.ts";
import { exitCodes, UsageError } from "./exit-codes.ts";
import { processIo, type CommandIo } from "./io.ts";

/**
 * The `flow` command line. Each command returns its exit code; this file
 * only maps arguments to commands and failures to exit codes: usage
 * mistakes exit 2 with one line, anything unexpected exits 70 with a
 * request to report it (the stack only with FLOW_DEBUG=1).
 */
export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  let code: number = exitCodes.ok;
  const run = (command: () => number) => {
    code = command();
  };

  const parser = yargs([...argv])
    .scriptName("flow")
    .usage("$0 <command> [options]\n\nA typed workflow language and a durable runtime for long-running agent work.")
    .command(
      "check <files..>",
      "Check .flow files and report every problem, in source order",
      (y) =>
        y
          .positional("files", { type: "string", array: true, demandOption: true, describe: "files or directories of .flow files" })
          .option("json", { type: "boolean", default: false, describe: "print diagnostics as JSON on stdout" }),
      (args) => run(() => check({ paths: args.files as string[], json: args.json }, io)),
    )
    .command(
      "fmt [files..]",
      "Rewrite .flow files in the canonical layout",
      (y) =>
        y
          .positional("files", { type: "string", array: true, describe: "files or directories of .flow files" })
          .option("check", { type: "boolean", default: false, describe: "write nothing; list files that would change and exit 1 if any" })
          .option("stdin", { type: "boolean", default: false, describe: "format standard input to standard output" }),
      (args) => run(() => fmt({ paths: (args.files as string[] | undefined) ?? [], check: args.check, stdin: args.stdin }, io)),
    )
    .command(
      "explain [code]",
      "Explain a diagnostic code, e.g. `flow explain FL0111`; with no code, list them all",
      (y) => y.positional("code", { type: "string", describe: "a code such as FL0111" }),
      (args) => run(() => explain(args.code, io)),
    )
    .demandCommand(1, "name a command: check, fmt or explain")
    .strict()
    .help()
    .alias("h", "help")
    .version(false)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      // Throwing here stops yargs before any command runs.
      if (error !== undefined && error !== null) throw error;
      throw new UsageError(message, { hint: "Run `flow --help` for the commands." });
    });

  try {
    await parser.parseAsync();
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`flow: ${error.message}\n${error.hint === undefined ? "" : `${error.hint}\n`}`);
      return exitCodes.usage;
    }
    const detail = error instanceof Error ? error.message : String(error);
    io.err(`flow: internal error: ${detail}\nThis is a bug in flow; please report it with the command and input that caused it.\n`);
    if (process.env["FLOW_DEBUG"] === "1" && error instanceof Error) io.err(`${error.stack}\n`);
    return exitCodes.internal;
  }
  return code;
}

const invokedDirectly = import.meta.url.endsWith("/dist/flow.mjs") || process.argv[1]?.endsWith("/cli/main.ts");
if (invokedDirectly) {
  main(process.argv.slice(2), processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`flow: internal error: ${String(error)}\n`);
      process.exitCode = exitCodes.internal;
    },
  );
}
