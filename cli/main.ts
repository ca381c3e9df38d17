import { defaultConcurrency } from "../compiler/ir/concurrency.ts";
import { Command, CommanderError, Option } from "commander";
import { check } from "./commands/check.ts";
import { exitCodes, UsageError } from "./exit-codes.ts";
import { processIo, type CommandIo } from "./io.ts";
import { parseBudget } from "./budget-option.ts";
import { durationOption } from "./duration.ts";
import { defaultParkAfterMs } from "./park-after.ts";
import type { DriverName } from "../interpreter/sandbox/profile.ts";

/**
 * The `flow` command line. Each command returns its exit code; this file
 * only maps arguments to commands and failures to exit codes: usage
 * mistakes exit 2 with one line and a pointer to --help, anything
 * unexpected exits 70 with a request to report it (the stack only with
 * FLOW_DEBUG=1).
 *
 * commander rather than yargs: measured in the bundle, yargs took ~60 ms to
 * load and parse (cliui builds an Intl.Segmenter as it loads) against
 * ~10 ms for commander, out of a 100 ms start-up budget.
 */
/** Set by the build from package.json; "development" when run from the sources. */
declare const FLOW_VERSION: string | undefined;
const flowVersion = typeof FLOW_VERSION === "string" ? FLOW_VERSION : "development";

export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  let code: number = exitCodes.ok;
  const program = new Command("flow")
    .description("A typed workflow language and a durable runtime for long-running agent work.")
    .usage("<command> [options]")
    .version(flowVersion, "-V, --version", "print the version")
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({
      writeOut: (text) => io.out(text),
      writeErr: (text) => io.err(text),
      outputError: (text, write) => write(`flow: ${text.replace(/^error: /, "")}`),
    });

  program
    .command("check")
    .description("check .flow files and report every problem, in source order")
    .argument("<files...>", "files, or directories of .flow files")
    .option("--json", "print diagnostics and costs as JSON on stdout", false)
    .option("--strict", "make a plan that may exceed its budget an error", false)
    .action((paths: string[], options: { json: boolean; strict: boolean }) => {
      code = check({ paths, json: options.json, strict: options.strict }, io);
    });

  program
    .command("compile")
    .description("check a .flow file and write its IR (canonical JSON with its sha256) to a file or standard output")
    .argument("<file>", "the .flow file to compile")
    .option("-o, --output <file>", "write the IR to this file instead of standard output")
    .option("--json", "print diagnostics, the hash and (without -o) the IR as one JSON report on stdout", false)
    .option("--strict", "make a plan that may exceed its budget an error", false)
    .action(async (path: string, options: { output?: string; json: boolean; strict: boolean }) => {
      // Loaded on use, like fmt: lowering and hashing are not needed to check.
      const { compile } = await import("./commands/compile.ts");
      code = compile({ path, output: options.output, json: options.json, strict: options.strict }, io);
    });

  program
    .command("verify")
    .description("re-check an IR file on its own, as the interpreter does before running it: exit 0 ok, 65 refused")
    .argument("<file>", "the IR to verify, such as the file `flow compile -o` writes")
    .option("--json", "print the problems as JSON on stdout", false)
    .action(async (path: string, options: { json: boolean }) => {
      // Loaded on use, like compile: checking needs none of the verifier.
      const { verify } = await import("./commands/verify.ts");
      code = verify({ path, json: options.json }, io);
    });

  program
    .command("graph")
    .description("check a .flow file and draw the DAG of its workflows: fan-outs, gates, barriers and each vertex's worst case")
    .argument("<file>", "the .flow file whose workflows to draw")
    .addOption(new Option("--format <format>", "text, or a diagram to render: mermaid or dot (Graphviz)").choices(["text", "mermaid", "dot"]).default("text"))
    .option("--workflow <name>", "draw only this workflow")
    .action(async (path: string, options: { format: "text" | "mermaid" | "dot"; workflow?: string }) => {
      // Loaded on use, like compile: lowering and drawing are not needed to check.
      const { graph } = await import("./commands/graph.ts");
      code = graph({ path, format: options.format, workflow: options.workflow }, io);
    });

  const parkAfterOption = () =>
    new Option("--park-after <duration>", "park (the process exits) when nothing runs and the next timer is further off than this; `flow tick` continues it")
      .argParser(durationOption)
      .default(defaultParkAfterMs, "60s");
  const storeOption = () => new Option("--store <store>", "where runs are kept: sqlite:PATH, postgres://…, memory: (default: FLOW_STORE, else .flow/flow.db here)");

  program
    .command("run")
    .description("check a .flow file (or take its IR) and run a workflow durably, showing its progress; the result goes to stdout")
    .argument("<file>", "the .flow file, or an IR file from `flow compile -o`")
    .argument("[workflow]", "the workflow to run (needed when the file declares several)")
    .option("--arg <name=value>", "an argument of the workflow (repeatable); a string parameter takes the text, any other JSON", collect, [])
    .option("--args <file>", "a JSON file of arguments by name")
    .addOption(storeOption())
    .option("--concurrency <n>", "at most this many vertices run at once", (v) => Number(v), defaultConcurrency)
    .option("--detach", "start the run and leave it to a background process; print its id", false)
    .addOption(
      new Option("--sandbox <driver>", "run every node on this sandbox driver, whatever its profile says (kept for the whole run)").choices(["process", "bwrap", "microvm"]),
    )
    .option("--script <file>", "answer every model call from this fixture of scripted answers, offline (kept for the whole run)")
    .addOption(parkAfterOption())
    .option("--json", "print the outcome as one JSON report on stdout", false)
    .action(
      async (
        path: string,
        workflow: string | undefined,
        options: { arg: string[]; args?: string; store?: string; concurrency: number; detach: boolean; sandbox?: DriverName; script?: string; parkAfter: number; json: boolean },
      ) => {
      const { run } = await import("./commands/run.ts");
      code = await run(
        {
          path,
          workflow,
          args: options.arg,
          argsFile: options.args,
          store: options.store,
          detach: options.detach,
          concurrency: options.concurrency,
          sandbox: options.sandbox,
          script: options.script,
          parkAfterMs: options.parkAfter,
          json: options.json,
        },
        io,
      );
      },
    );

  program
    .command("resume")
    .description("continue a run where it stopped (a crash, Ctrl-C, --detach): recorded steps are not run again")
    .argument("<run>", "the run's id, or a unique prefix of it")
    .addOption(storeOption())
    .addOption(parkAfterOption())
    .option("--budget <ceilings>", "a fresh envelope for a run its budget stopped: tokens=2M,usd=5.00,compute=2h,wall=3h (a unit not given keeps its ceiling)", parseBudget)
    .option("--json", "print the outcome as one JSON report on stdout", false)
    .action(async (run: string, options: { store?: string; parkAfter: number; budget?: ReturnType<typeof parseBudget>; json: boolean }) => {
      const { resume } = await import("./commands/resume.ts");
      code = await resume({ run, store: options.store, parkAfterMs: options.parkAfter, budget: options.budget, json: options.json }, io);
    });

  program
    .command("approve")
    .description("decide at a gate a run is parked at, signed with your key, and continue the run")
    .argument("<run>", "the run's id, or a unique prefix of it")
    .argument("[gate]", "the gate's name, or the instance it parks at (`review[3]`); needed when the run waits at several")
    .option("--reject", "reject instead of approving: the run fails at the gate", false)
    .option("--comment <text>", "a comment recorded (and signed) with the decision")
    .option("--key <name>", "which of your keys signs (`flow keys list`)")
    .option("--sign-only <file>", "write the signed decision to FILE (`-`: stdout) for someone else to record, instead of recording it")
    .option("--decision <file>", "record a decision signed elsewhere (`--sign-only`)")
    .addOption(storeOption())
    .option("--detach", "record the decision and leave the run for `flow resume`", false)
    .addOption(parkAfterOption())
    .option("--json", "print the outcome as one JSON report on stdout", false)
    .action(
      async (
        run: string,
        gate: string | undefined,
        options: { reject: boolean; comment?: string; key?: string; signOnly?: string; decision?: string; store?: string; detach: boolean; parkAfter: number; json: boolean },
      ) => {
        const { approve } = await import("./commands/approve.ts");
        code = await approve(
          { run, gate, reject: options.reject, comment: options.comment, key: options.key, signOnly: options.signOnly, decision: options.decision, store: options.store, detach: options.detach, parkAfterMs: options.parkAfter, json: options.json },
          io,
        );
      },
    );

  program
    .command("signal")
    .description("deliver the value a parked run's `wait signal` waits for, checked against its type, and continue the run")
    .argument("<run>", "the run's id, or a unique prefix of it")
    .argument("<name>", "the signal's name, or the instance it parks at (`signal:name[2]`)")
    .option("--data <json>", "the value, as JSON")
    .option("--data-file <file>", "the value, from a JSON file")
    .addOption(storeOption())
    .option("--detach", "record the value and leave the run for `flow resume`", false)
    .addOption(parkAfterOption())
    .option("--json", "print the outcome as one JSON report on stdout", false)
    .action(
      async (
        run: string,
        name: string,
        options: { data?: string; dataFile?: string; store?: string; detach: boolean; parkAfter: number; json: boolean },
      ) => {
        const { signal } = await import("./commands/signal.ts");
        code = await signal(
          { run, name, data: options.data, dataFile: options.dataFile, store: options.store, detach: options.detach, parkAfterMs: options.parkAfter, json: options.json },
          io,
        );
      },
    );

  for (const [kind, description] of [
    ["pause", "stop dispatching and let what is in flight finish; the run parks until `flow resume`"],
    ["cancel", "stop the run for good: what is in flight is killed, nothing more of it runs"],
  ] as const) {
    program
      .command(kind)
      .description(description)
      .argument("<run>", "the run's id, or a unique prefix of it")
      .addOption(storeOption())
      .addOption(new Option("--wait <duration>", "how long to wait for the process driving the run to carry it out").argParser(durationOption).default(30_000, "30s"))
      .option("--json", "print the outcome as JSON", false)
      .action(async (run: string, options: { store?: string; wait: number; json: boolean }) => {
        const { control } = await import("./commands/control.ts");
        code = await control(kind, { run, store: options.store, waitMs: options.wait, json: options.json }, io);
      });
  }

  program
    .command("tick")
    .description("one pass over the parked runs: continue each whose timer is due (a sleep, a gate's timeout); for cron")
    .addOption(storeOption())
    .addOption(parkAfterOption())
    .option("--json", "print what it did as JSON", false)
    .action(async (options: { store?: string; parkAfter: number; json: boolean }) => {
      const { tick } = await import("./commands/tick.ts");
      code = await tick({ store: options.store, parkAfterMs: options.parkAfter, json: options.json }, io);
    });

  program
    .command("serve")
    .description("serve the web app and an HTTP API over the store: runs, graphs, ledgers, gates, live event streams; fires due timers as `flow tick` does")
    .option("--port <port>", "the port to listen on (0: any free one)", (v) => Number(v), 8484)
    .option("--host <host>", "the address to listen on; beyond loopback, every request needs a token", "127.0.0.1")
    .addOption(storeOption())
    .option("--key <name>", "which of your keys (`flow keys list`) signs the decisions made through the API (default: the project's runner key)")
    .option("--holder <name>", "whose token the first start makes (default: your login name)")
    .option("--add-token <name>", "make a token for NAME, print it once, and exit")
    .option("--static <dir>", "serve the web app from this directory (default: dist/playground beside the bundle)")
    .addOption(
      new Option("--park-after <duration>", "let a run this server drives go (rows only, until its timer loop continues it) when nothing runs and its next timer is further off than this")
        .argParser(durationOption)
        .default(defaultParkAfterMs, "60s"),
    )
    .addOption(new Option("--tick-every <duration>", "how often due timers (sleeps, gates' timeouts) are looked for").argParser(durationOption).default(1_000, "1s"))
    .addOption(new Option("--heartbeat <duration>", "how often an idle event stream sends a heartbeat").argParser(durationOption).default(15_000, "15s"))
    .action(
      async (options: { port: number; host: string; store?: string; key?: string; holder?: string; addToken?: string; static?: string; parkAfter: number; tickEvery: number; heartbeat: number }) => {
        const { serve } = await import("./commands/serve.ts");
        code = await serve(
          {
            port: options.port,
            host: options.host,
            store: options.store,
            key: options.key,
            holder: options.holder,
            addToken: options.addToken,
            staticDir: options.static,
            parkAfterMs: options.parkAfter,
            tickEveryMs: options.tickEvery,
            heartbeatMs: options.heartbeat,
          },
          io,
        );
      },
    );

  const keys = program.command("keys").description("your Ed25519 keys for signing decisions at gates, and the approvers a project trusts");
  keys
    .command("init")
    .description("make a key (in ~/.config/flow/keys) and print its public half")
    .option("--name <name>", "the key's name (default: your login name)")
    .option("--trust", "also add it to this project's flow.config.json approvers", false)
    .action(async (options: { name?: string; trust: boolean }) => {
      const { keysInit } = await import("./commands/keys.ts");
      code = keysInit({ name: options.name, trust: options.trust }, io);
    });
  keys
    .command("list")
    .description("your keys, and the approvers this project trusts")
    .option("--json", "print them as JSON", false)
    .action(async (options: { json: boolean }) => {
      const { keysList } = await import("./commands/keys.ts");
      code = keysList({ json: options.json }, io);
    });
  keys
    .command("trust")
    .description("add an approver's public key to this project's flow.config.json")
    .argument("<name>", "who it is")
    .argument("<key>", "their public key, as `flow keys init` printed it")
    .option("--group <group>", "a group they are in, for gates written `approve \"…\" by \"group\"` (again for more)", (group: string, groups: string[]) => [...groups, group], [] as string[])
    .action(async (name: string, key: string, options: { group: string[] }) => {
      const { keysTrust } = await import("./commands/keys.ts");
      code = keysTrust({ name, key, groups: options.group }, io);
    });

  program
    .command("runs")
    .description("list the runs in the store, newest first")
    .addOption(storeOption())
    .option("--limit <n>", "at most this many", (v) => Number(v), 50)
    .option("--json", "print them as JSON", false)
    .action(async (options: { store?: string; limit: number; json: boolean }) => {
      const { runs } = await import("./commands/runs.ts");
      code = await runs({ store: options.store, limit: options.limit, json: options.json }, io);
    });

  program
    .command("status")
    .description("where a run stands: its vertices by state, what runs or waits, failures, result")
    .argument("<run>", "the run's id, or a unique prefix of it")
    .addOption(storeOption())
    .option("--json", "print it as JSON", false)
    .action(async (run: string, options: { store?: string; json: boolean }) => {
      const { status } = await import("./commands/status.ts");
      code = await status({ run, store: options.store, json: options.json }, io);
    });

  program
    .command("logs")
    .description("a run's ledger, one line an entry")
    .argument("<run>", "the run's id, or a unique prefix of it")
    .addOption(storeOption())
    .option("-f, --follow", "keep printing new entries until the run ends", false)
    .option("--json", "print the entries themselves (canonical JSON lines)", false)
    .action(async (run: string, options: { store?: string; follow: boolean; json: boolean }) => {
      const { logs } = await import("./commands/logs.ts");
      code = await logs({ run, store: options.store, follow: options.follow, json: options.json }, io);
    });

  program
    .command("export")
    .description("write a run's ledger as canonical JSON lines, for `flow replay` anywhere")
    .argument("<run>", "the run's id, or a unique prefix of it")
    .addOption(storeOption())
    .option("-o, --output <file>", "write to this file instead of standard output")
    .action(async (run: string, options: { store?: string; output?: string }) => {
      const { exportRun } = await import("./commands/export.ts");
      code = await exportRun({ run, store: options.store, output: options.output }, io);
    });

  program
    .command("receipt")
    .description("a run's receipt: each vertex's attempts, retries and spend, the totals against its ceilings, its gates and who decided them, signed with the project's runner key; or check one")
    .argument("[run]", "the run's id, or a unique prefix of it")
    .addOption(storeOption())
    .option("--json", "print the receipt itself (canonical JSON) instead of a summary; with --verify, the verdict as JSON", false)
    .option("--verify <file>", "check a receipt file instead: exit 0 when it holds, 1 when it does not")
    .option("-o, --output <file>", "write the receipt here instead of .flow/receipts/RUN-SEQ.json")
    .option("--key <key>", "with --verify: the public key it must be signed with (default: this project's runner key)")
    .action(async (run: string | undefined, options: { store?: string; json: boolean; verify?: string; output?: string; key?: string }) => {
      const { receipt } = await import("./commands/receipt.ts");
      code = await receipt({ run, store: options.store, json: options.json, verify: options.verify, out: options.output, key: options.key }, io);
    });

  program
    .command("replay")
    .description("run a recorded run again from its ledger and compare every entry byte for byte: exit 0 identical, 1 not")
    .argument("<run-or-file>", "a run in the store, or a ledger file from `flow export`")
    .addOption(storeOption())
    .option("--json", "print the verdict as JSON", false)
    .action(async (target: string, options: { store?: string; json: boolean }) => {
      const { replay } = await import("./commands/replay.ts");
      code = await replay({ target, store: options.store, json: options.json }, io);
    });

  program
    .command("fmt")
    .description("rewrite .flow files in the canonical layout")
    .argument("[files...]", "files, or directories of .flow files")
    .option("--check", "write nothing; list the files that would change and exit 1 if any", false)
    .option("--stdin", "format standard input to standard output", false)
    .action(async (paths: string[], options: { check: boolean; stdin: boolean }) => {
      // Loaded on use: the formatter and its printer are not needed to check.
      const { fmt } = await import("./commands/fmt.ts");
      code = fmt({ paths, check: options.check, stdin: options.stdin }, io);
    });

  const sandbox = program.command("sandbox").description("the microVM sandbox's guest image, accelerator and templates");
  sandbox
    .command("build")
    .description("build the microVM guest image from this machine's packages (when missing or stale), probe the accelerator, boot the default template")
    .option("--force", "rebuild the image even when it is current", false)
    .action(async (options: { force: boolean }) => {
      const { sandboxBuild } = await import("./commands/sandbox.ts");
      code = await sandboxBuild({ force: options.force }, io);
    });
  sandbox
    .command("status")
    .description("print the microVM cache: image files and what they were built from, the accelerator, the templates")
    .option("--json", "print the status as JSON", false)
    .action(async (options: { json: boolean }) => {
      const { sandboxStatus } = await import("./commands/sandbox.ts");
      code = await sandboxStatus({ json: options.json }, io);
    });

  program
    .command("explain")
    .description("explain a diagnostic code, e.g. `flow explain FL0111`; with no code, list them all")
    .argument("[code]", "a code such as FL0111")
    .action(async (which: string | undefined) => {
      const { explain } = await import("./commands/explain.ts");
      code = explain(which, io);
    });

  if (argv.length === 0) {
    io.err(`flow: name a command: ${program.commands.map((c) => c.name()).join(", ")}\nRun \`flow --help\` for the commands.\n`);
    return exitCodes.usage;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.help" || error.code === "commander.version") return exitCodes.ok;
      // commander has already printed its message through outputError; a command's own help says what it takes.
      const named: string[] = [];
      for (let at: Command | undefined = program; error.code !== "commander.unknownCommand"; ) {
        at = at.commands.find((c) => c.name() === argv[named.length]);
        if (at === undefined) break;
        named.push(at.name());
      }
      io.err(named.length === 0 ? "Run `flow --help` for the commands.\n" : `Run \`flow ${named.join(" ")} --help\` for the options.\n`);
      return exitCodes.usage;
    }
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

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Runs `main` for this process: its streams, and its exit code when done. */
export function runForProcess(argv: readonly string[]): void {
  main(argv, processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`flow: internal error: ${String(error)}\n`);
      process.exitCode = exitCodes.internal;
    },
  );
}
