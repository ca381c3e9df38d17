import v8 from "node:v8";
import { parse } from "../language/parse.ts";
import { SourceFile } from "../language/source-file.ts";
import { runForProcess } from "./main.ts";

/**
 * The entry of the startup snapshot (scripts/build.mjs): everything `flow`
 * needs is loaded, and the lexer and parser are built, when the snapshot is
 * taken, so a run starts from a ready heap instead of compiling modules and
 * analysing the grammar (together about three times what Node.js itself
 * takes to start). Only what the process gives at run time (arguments,
 * streams, environment) is read after that.
 */
parse(new SourceFile("warm-up.flow", "workflow warm_up() -> int { return 1 }"));
// A correct file takes the fast path (scan.ts, fast-parser.ts) and builds neither lexer nor parser:
// one with a syntax error builds both, for the files that need them.
parse(new SourceFile("warm-up.flow", "workflow warm_up() -> int { return 1; }"));

v8.startupSnapshot.setDeserializeMainFunction(() => {
  // Started as `node --snapshot-blob flow.blob -- ARGS…`: the arguments follow the executable.
  runForProcess(process.argv.slice(1));
});
