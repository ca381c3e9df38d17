import { readRun } from "../../interpreter/host/read-run.ts";
import type { Json } from "../../interpreter/ledger/entry.ts";
import { UsageError } from "../exit-codes.ts";
import type { CommandIo } from "../io.ts";
import { parseJsonGiven, readJsonFile } from "../json-file.ts";
import { signalAnswer } from "../signal-answer.ts";
import { who } from "../who.ts";
import { findRun, openRunStore } from "../run-store.ts";
import { takeOver } from "../take-over.ts";

export interface SignalOptions {
  readonly run: string;
  /** The signal's name as the workflow waits for it (`wait signal "name"`), or the instance (`signal:name[2]`). */
  readonly name: string;
  /** The value, as JSON text (`--data`) or a file of it (`--data-file`). */
  readonly data: string | undefined;
  readonly dataFile: string | undefined;
  readonly store: string | undefined;
  readonly detach: boolean;
  readonly parkAfterMs: number;
  readonly json: boolean;
}

/**
 * `flow signal RUN NAME --data JSON`: delivers the value a parked run's
 * `wait signal "NAME" -> T` waits for, and continues the run here (or
 * leaves it, with `--detach`). A value that is not a `T` is refused with
 * what is wrong, and nothing is recorded.
 */
export async function signal(options: SignalOptions, io: CommandIo): Promise<number> {
  const value = readValue(options);
  const store = await openRunStore(options.store, { create: false });
  try {
    const record = await findRun(store, options.run);
    const { core } = await readRun(store, record.id);
    const { answer, instance, signal: name } = signalAnswer(core, options.name, value, who(), Date.now());
    return await takeOver(store, record.id, answer, { ...options, said: () => `run ${record.id}: signal "${name}" delivered at ${instance}`, staleHint: "send it again" }, io);
  } finally {
    await store.close();
  }
}

function readValue(options: SignalOptions): Json {
  if ((options.data === undefined) === (options.dataFile === undefined)) {
    throw new UsageError("give the signal's value: `--data JSON` or `--data-file FILE`", { hint: `flow signal RUN NAME --data '{"ok": true}'` });
  }
  if (options.dataFile !== undefined) return readJsonFile(options.dataFile, "a signal's value is JSON: strings are quoted") as Json;
  return parseJsonGiven(options.data as string, "the signal's value", "strings are quoted: --data '\"yes\"'") as Json;
}
