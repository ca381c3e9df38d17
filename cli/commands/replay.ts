import { closeSync, fstatSync, openSync, readFileSync, type Stats, statSync } from "node:fs";
import { dirname, extname, join, sep } from "node:path";
import type { Span } from "../../compiler/ir/span.ts";
import { ChainCheck } from "../../interpreter/ledger/chain-check.ts";
import { replayLedger, type ReplayVerdict } from "../../interpreter/replay.ts";
import { SourceFile } from "../../language/source-file.ts";
import { exitCodes, UsageError } from "../exit-codes.ts";
import type { CommandIo } from "../io.ts";
import { filePages, storePages } from "../ledger-pages.ts";
import { findRun, openRunStore } from "../run-store.ts";
import { whyUnreadable } from "../source-files.ts";

export interface ReplayOptions {
  readonly target: string;
  readonly store: string | undefined;
  readonly json: boolean;
}

/**
 * `flow replay RUN|FILE`: runs a recorded run again from its ledger (a run
 * in the store, or a file `flow export` wrote, on any machine) and compares
 * every entry byte for byte. Exit 0 with a one-line verdict when identical;
 * exit 1 with the first differing entry, both versions and the source span
 * responsible; exit 1 too when the hash chain is broken (tampered).
 */
export async function replay(options: ReplayOptions, io: CommandIo): Promise<number> {
  let verdict: ReplayVerdict;
  let sourceHint: string;
  /** Where the program's files are: spans are relative to the entry file's directory. */
  let base = ".";
  const started = performance.now();
  const found = statSync(options.target, { throwIfNoEntry: false });
  if (found?.isFile() === true) {
    if (extname(options.target) === ".flow") throw new UsageError(`\`${options.target}\` is a program, not a ledger`, { hint: "`flow run` runs a program; `flow replay` takes a run or the ledger `flow export` writes" });
    sourceHint = options.target;
    verdict = await replayFile(options.target);
  } else if (found !== undefined || looksLikeFile(options.target)) {
    throw new UsageError(found !== undefined ? `\`${options.target}\` is not a file` : `no file \`${options.target}\``, {
      hint: "`flow export RUN -o FILE` writes a run's ledger to a file; `flow runs` lists the runs",
    });
  } else {
    const store = await openRunStore(options.store, { create: false });
    try {
      const record = await findRun(store, options.target);
      sourceHint = `run ${record.id}`;
      base = dirname(record.source);
      verdict = await replayLedger(storePages(store.entries(record.id, 0)));
    } finally {
      await store.close();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  if (options.json) {
    io.out(`${JSON.stringify({ target: options.target, ...verdict }, null, 2)}\n`);
    return verdict.kind === "identical" ? exitCodes.ok : exitCodes.failed;
  }
  switch (verdict.kind) {
    case "identical":
      io.out(`identical: ${verdict.entries} entries of ${sourceHint} replayed byte for byte in ${seconds.toFixed(2)} s, head ${verdict.head}${untilText(verdict.status)}\n`);
      return exitCodes.ok;
    case "diverged":
      io.out(`diverged at entry ${verdict.seq}: ${verdict.reason}\n`);
      io.out(`  replay:   ${verdict.expected ?? "(no entry)"}\n`);
      io.out(`  recorded: ${verdict.recorded ?? "(no entry)"}\n`);
      if (verdict.span !== null) io.out(`  from:     ${verdict.place ?? where(verdict.span, base)}\n`);
      return exitCodes.failed;
    case "tampered":
      io.out(`tampered: ${verdict.reason}; ${verdict.seq === 0 ? "none of it" : `nothing after entry ${verdict.seq - 1}`} can be trusted\n`);
      return exitCodes.failed;
    case "invalid":
      io.out(`not a ledger flow can replay: entry ${verdict.seq}: ${verdict.reason}\n`);
      return exitCodes.failed;
  }
}

/**
 * Replays a ledger file, read twice from one descriptor: by replay, and by the chain check's thread (ChainCheck). The
 * two must read the same bytes: a file that changed meanwhile (its size or times) has no verdict.
 */
async function replayFile(path: string): Promise<ReplayVerdict> {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw new UsageError(`cannot read \`${path}\`: ${whyUnreadable(error)}`);
  }
  try {
    const before = fstatSync(fd);
    const checkUnchanged = () => {
      if (!sameFile(before, fstatSync(fd))) throw new UsageError(`\`${path}\` changed while it was replayed`, { hint: "replay it once nothing writes to it, or replay a copy" });
    };
    let verdict: ReplayVerdict;
    try {
      verdict = await replayLedger(filePages(fd), new ChainCheck(undefined, { fd }));
    } catch (error) {
      checkUnchanged();
      throw error;
    }
    checkUnchanged();
    return verdict;
  } finally {
    closeSync(fd);
  }
}

/** Whether two looks at a file see the same contents: a write moves its modification and change times (the latter cannot be set back). */
function sameFile(before: Stats, after: Stats): boolean {
  return after.size === before.size && after.mtimeMs === before.mtimeMs && after.ctimeMs === before.ctimeMs;
}

/** Whether a target that is neither a file nor (so far) looked up as a run was meant as a file: run ids have no path separators or extensions. */
function looksLikeFile(target: string): boolean {
  return target.includes(sep) || target.includes("/") || extname(target) !== "";
}

/**
 * Where the recording leaves a run that had not ended: a run still going (or parked, or paused) has a ledger that
 * ends there, and so has a ledger cut short at an entry's end, which no chain can tell from it.
 */
function untilText(status: Extract<ReplayVerdict, { kind: "identical" }>["status"]): string {
  switch (status) {
    case "completed":
    case "failed":
    case "cancelled":
    case "aborted":
      return "";
    case "running":
    case "parked":
    case "paused":
      return `; the recording ends with the run ${status}, not ended`;
  }
}

/** For IR without line tables: a span as `file:line:column`, when the file is here (relative to the current directory); its offsets otherwise. */
function where(span: Span, base: string): string {
  try {
    const text = readFileSync(join(base, span.file), "utf8");
    const source = new SourceFile(span.file, text);
    const { line, column } = source.position(span.start);
    return `${span.file}:${line}:${column}`;
  } catch {
    return `${span.file} (characters ${span.start}–${span.end})`;
  }
}
