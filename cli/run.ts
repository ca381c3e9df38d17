import { runForProcess } from "./main.ts";

/** The `flow` executable, started as `node dist/flow.mjs ARGS…`. */
runForProcess(process.argv.slice(2));
