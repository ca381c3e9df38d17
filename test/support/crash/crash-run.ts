import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drainProcessesUnder, type FlowProcess, groupsOf, processesUnder, spawnGroup } from "./children.ts";
import { describe, type Finished, flow, runIdIn } from "./cli.ts";
import { type LedgerView, readLedger } from "./ledger.ts";
import { judgeSideEffects, readSideEffects } from "./side-effects.ts";

/** The crash workflow (test/fixtures/crash/fanout.flow). */
export const crashWorkflow = new URL("../../fixtures/crash/fanout.flow", import.meta.url).pathname;

/** Where a kill lands: once the process has written `lines` lines of progress, `ms` later. */
export interface KillPlan {
  readonly lines: number;
  readonly ms: number;
}

export const describePlan = (plan: KillPlan): string => `after ${plan.lines} lines + ${plan.ms} ms`;

/** What an uninterrupted run gives: the output every interrupted one must end with. */
export interface Baseline {
  readonly stdout: string;
  readonly result: unknown;
  /** Lines of progress on standard error, and how long the command took to write its first one. */
  readonly lines: number;
  readonly firstLineMs: number;
  readonly ms: number;
  readonly entries: number;
}

/** What happened to one run between its start and its checked end. */
export interface CrashReport {
  /** SIGKILLs that found the process alive and ended it. */
  kills: number;
  /** Kills that ended a `flow resume` (or the background process of `--detach`). */
  resumeKills: number;
  /** Where the first kill landed: the ledger's last entry then, or before the run was recorded, or after its end. */
  landed: string;
  /** Entries in the ledger at the first kill. */
  entriesAtKill: number;
  /** Kills that came while a retry waited for its backoff (a timer set, not fired). */
  inBackoff: number;
  /** `sh` steps still running once the `flow` process that started them was killed. */
  leftRunning: number;
  /** Steps run twice or more within the crash window. */
  inWindow: number;
  /** Extra runs they account for. */
  extraRuns: number;
  /** Where the result was read: the standard output of the command that completed the run, or `flow status` when the run had completed as it was killed. */
  resultFrom: "stdout" | "status";
}

/**
 * Sends SIGKILL to a `flow` process group once `plan` says, and returns
 * whether it found the process alive, and the `sh` steps it had in flight
 * under `workDir` that outlived it (their process groups: steps run in
 * sessions of their own), looked for at once, before a short one ends.
 */
export async function killAt(child: FlowProcess, plan: KillPlan, workDir: string): Promise<{ readonly killed: boolean; readonly survivors: readonly number[] }> {
  await child.untilStderrLines(plan.lines);
  if (plan.ms > 0) await new Promise((resolve) => setTimeout(resolve, plan.ms));
  const sent = child.signalGroup("SIGKILL");
  const survivors = sent ? groupsOf(processesUnder(workDir)) : [];
  const exit = await child.exited;
  return { killed: exit.signal === "SIGKILL", survivors: exit.signal === "SIGKILL" ? survivors : [] };
}

/**
 * One run of the crash workflow in a directory of its own, with its own
 * SQLite store and side-effect file: started, killed, resumed until it
 * completes, then checked (`check`).
 */
export class CrashRun {
  readonly store: string;
  readonly log: string;
  id: string | null = null;
  /** The ledger as it was at each kill (exported right after it). */
  readonly atKills: LedgerView[] = [];
  /** Every standard output a `flow` command of the run printed (a result, when it printed one). */
  readonly outputs: string[] = [];
  readonly report: CrashReport = { kills: 0, resumeKills: 0, landed: "not killed", entriesAtKill: -1, inBackoff: 0, leftRunning: 0, inWindow: 0, extraRuns: 0, resultFrom: "stdout" };
  /** What happened, in order: the failure message's context. */
  readonly story: string[] = [];

  constructor(
    readonly bin: string,
    readonly dir: string,
    readonly argsFile: string,
  ) {
    mkdirSync(dir, { recursive: true });
    this.store = `sqlite:${join(dir, "flow.db")}`;
    this.log = join(dir, "side-effects.log");
  }

  /** Where its vertices' work trees are, and their `sh` steps run. */
  get workDir(): string {
    return join(this.dir, ".flow", "work");
  }

  /** `flow run` of the crash workflow, in the background. */
  start(): FlowProcess {
    return this.spawn(this.runArgs());
  }

  /** The arguments of its `flow run`. */
  runArgs(): string[] {
    // The process driver: the side-effect log lies outside every work tree, where an isolating driver lets no step write.
    return ["run", crashWorkflow, "--sandbox", "process", "--args", this.argsFile, "--arg", `log=${this.log}`, "--store", this.store];
  }

  spawn(args: readonly string[]): FlowProcess {
    this.story.push(`$ flow ${args.join(" ")}`);
    return spawnGroup(this.bin, args, this.dir);
  }

  async flow(args: readonly string[]): Promise<Finished> {
    this.story.push(`$ flow ${args.join(" ")}`);
    const result = await flow(this.bin, args, this.dir);
    this.story.push(`  → ${result.signal ?? `exit ${String(result.code)}`}`);
    return result;
  }

  /** Accounts for a process that ended: its output, and if it was killed, the ledger as the kill left it. */
  async ended(child: FlowProcess, killed: boolean, resume: boolean, survivors = 0): Promise<void> {
    const exit = await child.exited;
    this.story.push(`  → ${exit.signal ?? `exit ${String(exit.code)}`}${killed ? " (killed)" : ""}; stderr: ${lastLines(child.stderr, 3)}`);
    if (child.stdout !== "") this.outputs.push(child.stdout);
    this.id ??= runIdIn(child.stderr);
    if (!killed) {
      if (exit.code !== 0) throw new Error(`${child.command} → ${exit.signal ?? `exit ${String(exit.code)}`}\n${child.stderr}`);
      return;
    }
    await this.lost(resume, survivors);
  }

  /**
   * Accounts for a `flow` process that died before the run ended (killed,
   * or stopped by Ctrl-C): the steps it left running, and the ledger as
   * it left it, exported at once, which says what it had recorded.
   */
  async lost(resume: boolean, survivors: number): Promise<void> {
    this.report.kills++;
    if (resume) this.report.resumeKills++;
    // Its `sh` steps run in sessions of their own: a SIGKILL of flow's group does not reach them.
    this.report.leftRunning += survivors;
    this.id ??= await this.findRun();
    if (this.id === null) {
      if (this.report.kills === 1) this.report.landed = "before the run was recorded";
      return;
    }
    const file = join(this.dir, `at-kill-${this.report.kills}.ledger`);
    const exported = await this.flow(["export", this.id, "--store", this.store, "-o", file]);
    if (exported.code !== 0) throw new Error(describe(exported, ["export", this.id]));
    const ledger = readLedger(readFileSync(file, "utf8"));
    this.atKills.push(ledger);
    if (ledger.timersWaiting > 0) this.report.inBackoff++;
    if (this.report.kills === 1) {
      this.report.entriesAtKill = ledger.entries.length;
      this.report.landed = `after ${ledger.entries.at(-1)?.kind ?? "nothing"}`;
    }
  }

  /** The run of this directory's store, if one was recorded. */
  private async findRun(): Promise<string | null> {
    if (!existsSync(join(this.dir, "flow.db"))) return null;
    const runs = await this.flow(["runs", "--json", "--store", this.store]);
    if (runs.code !== 0) throw new Error(describe(runs, ["runs"]));
    const list = JSON.parse(runs.stdout) as { id: string }[];
    if (list.length > 1) throw new Error(`${list.length} runs in one iteration's store`);
    return list[0]?.id ?? null;
  }

  /** `flow resume` until the run completes; the resumes given a plan are killed by it. */
  async resumeToEnd(plans: readonly KillPlan[]): Promise<void> {
    const id = this.id;
    if (id === null) throw new Error("no run to resume");
    for (const plan of plans) {
      const child = this.spawn(["resume", id, "--store", this.store]);
      const { killed, survivors } = await killAt(child, plan, this.workDir);
      await this.ended(child, killed, true, survivors.length);
    }
    const last = this.spawn(["resume", id, "--store", this.store]);
    await this.ended(last, false, true);
  }

  /**
   * Checks the run once it has completed: every result it printed is the
   * uninterrupted run's, `flow replay` says identical from the store and,
   * exported, from a fresh directory, and the side-effect file shows every
   * step of the ledger ran, none twice outside the crash window.
   */
  async check(baseline: Baseline): Promise<void> {
    const id = this.id;
    if (id === null) {
      // Killed before the run was recorded: nothing may have run.
      const log = existsSync(this.log) ? readFileSync(this.log, "utf8") : "";
      if (log !== "") throw new Error(`no run was recorded, yet steps ran:\n${log}`);
      return;
    }
    // What killed processes left running ends first: its lines belong to the file.
    const stragglers = await drainProcessesUnder(this.dir, 15_000);
    if (stragglers.length > 0) throw new Error(`processes still running 15 s after the run ended: ${stragglers.join(", ")}`);

    for (const output of this.outputs) {
      if (output !== baseline.stdout) throw new Error(`a result other than the uninterrupted run's:\n  got      ${output}  expected ${baseline.stdout}`);
    }
    const finalFile = join(this.dir, "final.ledger");
    const [replayed, exported] = await Promise.all([this.flow(["replay", id, "--store", this.store]), this.flow(["export", id, "--store", this.store, "-o", finalFile])]);
    if (replayed.code !== 0 || !replayed.stdout.startsWith("identical: ")) throw new Error(`the resumed ledger does not replay:\n${describe(replayed, ["replay", id])}`);
    if (exported.code !== 0) throw new Error(describe(exported, ["export", id]));
    const final = readLedger(readFileSync(finalFile, "utf8"));
    if (final.completed === null) throw new Error(`the run has not completed: its last entry is ${final.entries.at(-1)?.kind}`);
    if (JSON.stringify(final.completed.result) !== JSON.stringify(baseline.result)) {
      throw new Error(`the ledger's result is not the uninterrupted run's:\n  got      ${JSON.stringify(final.completed.result)}\n  expected ${JSON.stringify(baseline.result)}`);
    }
    if (this.outputs.length === 0) {
      // Killed once `run.completed` was durable, before it printed: `flow resume` finds nothing to do, and prints no result; `flow status` has it.
      const status = await this.flow(["status", id, "--json", "--store", this.store]);
      const summary = JSON.parse(status.stdout) as { status: string; result: unknown };
      if (status.code !== 0 || summary.status !== "completed" || JSON.stringify(summary.result) !== JSON.stringify(baseline.result)) {
        throw new Error(`no command printed the run's result, and \`flow status\` says:\n${status.stdout}`);
      }
      this.report.resultFrom = "status";
    }

    await replayInFreshDirectory(this.bin, finalFile, final.entries.length);

    const effects = readSideEffects(existsSync(this.log) ? readFileSync(this.log, "utf8") : "");
    const verdict = judgeSideEffects(effects, final, this.atKills);
    this.report.inWindow = verdict.inWindow.length;
    this.report.extraRuns = verdict.inWindow.reduce((sum, { runs }) => sum + runs - 1, 0);
    const problems = [
      ...verdict.outOfWindow.map((d) => `step ${d.id.slice(0, 12)}… (${d.label}) ran ${d.runs} times; the kills that caught it unrecorded allow ${d.allowed}`),
      ...verdict.neverRan.map((step) => `step ${step.slice(0, 12)}… of the ledger left no line in the side-effect file`),
      ...verdict.strange,
    ];
    if (problems.length > 0) throw new Error(`the side-effect file:\n  ${problems.join("\n  ")}`);
  }
}

/** `flow replay FILE` of an exported ledger in an empty directory: no store, nothing of the run but the file. */
export async function replayInFreshDirectory(bin: string, ledger: string, entries: number): Promise<void> {
  const fresh = mkdtempSync(join(tmpdir(), "flow-fresh-"));
  try {
    copyFileSync(ledger, join(fresh, "run.ledger"));
    const replayed = await flow(bin, ["replay", "run.ledger"], fresh);
    if (replayed.code !== 0 || !replayed.stdout.startsWith(`identical: ${entries} entries of run.ledger`)) {
      throw new Error(`the exported ledger does not replay in a fresh directory:\n${describe(replayed, ["replay", "run.ledger"])}`);
    }
    const left = readdirSync(fresh);
    if (left.length !== 1) throw new Error(`\`flow replay FILE\` left files in a fresh directory: ${left.join(", ")}`);
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}

function lastLines(text: string, n: number): string {
  const lines = text.trimEnd().split("\n");
  return JSON.stringify(lines.slice(-n).join(" | "));
}
