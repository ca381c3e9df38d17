import { writeFileSync } from "node:fs";
import { UsageError } from "../exit-codes.ts";
import type { CommandIo } from "../io.ts";
import { findRun, openRunStore } from "../run-store.ts";
import { whyUnwritable } from "../source-files.ts";

export interface ExportOptions {
  readonly run: string;
  readonly store: string | undefined;
  readonly output: string | undefined;
}

/**
 * `flow export RUN [-o FILE]`: the run's ledger as canonical JSON lines,
 * byte for byte as recorded: all `flow replay` needs, on any machine.
 */
export async function exportRun(options: ExportOptions, io: CommandIo): Promise<number> {
  const store = await openRunStore(options.store, { create: false });
  try {
    const record = await findRun(store, options.run);
    const lines: string[] = [];
    for await (const entry of store.entries(record.id, 0)) lines.push(`${entry.text}\n`);
    if (options.output === undefined) {
      for (const line of lines) io.out(line);
    } else {
      try {
        writeFileSync(options.output, lines.join(""));
      } catch (error) {
        throw new UsageError(`cannot write \`${options.output}\`: ${whyUnwritable(error)}`);
      }
      io.err(`exported ${lines.length} entries of run ${record.id} → ${options.output}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
