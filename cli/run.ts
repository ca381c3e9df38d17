import { exitCodes } from "./exit-codes.ts";
import { processIo } from "./io.ts";
import { main } from "./main.ts";

/** The `flow` executable: the process's arguments and streams, and its exit code. */
main(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`flow: internal error: ${String(error)}\n`);
    process.exitCode = exitCodes.internal;
  },
);
