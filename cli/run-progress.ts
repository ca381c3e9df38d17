import type { Sealed } from "../interpreter/core/advance.ts";
import type { Entry } from "../interpreter/ledger/entry.ts";
import { describeEntry } from "./describe-entry.ts";

/**
 * What `flow run` and `flow resume` show while a run goes on, on standard
 * error. On a terminal: one status line, rewritten in place (vertices
 * done, running and failed, what is running now, elapsed time), with the
 * notable events (failures, retries, parking) printed above it. Elsewhere
 * (a pipe, CI): one plain line per event, no escape codes.
 */
export class RunProgress {
  private done = 0;
  private failed = 0;
  private readonly running = new Map<string, string>();
  private readonly startedAt: number;
  private ticker: NodeJS.Timeout | null = null;
  private lineShown = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly live: boolean,
    private readonly clock: () => number,
  ) {
    this.startedAt = clock();
    if (live) this.ticker = setInterval(() => this.redraw(), 250);
  }

  /** What the run recorded before the command printed its header (a first fan-out, a takeover): shown once it has. */
  private early: (readonly Sealed[])[] | null = [];

  entries(sealed: readonly Sealed[]): void {
    if (this.early !== null) {
      this.early.push(sealed);
      return;
    }
    for (const { entry } of sealed) this.entry(entry);
    if (this.live) this.redraw();
  }

  /** The command's header is out: what was recorded before it is shown now, and each entry from here as it comes. */
  headed(): void {
    const early = this.early ?? [];
    this.early = null;
    for (const sealed of early) this.entries(sealed);
  }

  finish(): void {
    if (this.ticker !== null) clearInterval(this.ticker);
    this.clearLine();
  }

  private entry(entry: Entry): void {
    switch (entry.kind) {
      case "vertex.started":
        this.running.set(entry.vertex, entry.vertex);
        break;
      case "step.completed":
      case "step.failed":
        this.running.set(entry.vertex, `${entry.vertex}: ${entry.data.op.replace(/^[^:]*:/, "").replace(/@\d+$/, "")}`);
        break;
      case "vertex.completed":
        this.running.delete(entry.vertex);
        this.done++;
        break;
      case "vertex.failed":
      case "vertex.aborted":
        this.running.delete(entry.vertex);
        this.failed++;
        break;
      default:
        break;
    }
    if (this.notable(entry)) this.print(describeEntry(entry));
  }

  /** On a terminal only what needs attention gets a line of its own; elsewhere every vertex event does. */
  private notable(entry: Entry): boolean {
    switch (entry.kind) {
      case "step.completed":
      case "step.failed":
      case "vertex.scheduled":
      case "timer.set":
      case "run.started":
      case "run.completed":
      case "run.failed":
        return false;
      case "vertex.started":
      case "vertex.completed":
      case "vertex.checkpoint":
      case "fanout.expanded":
      case "barrier.passed":
      case "timer.fired":
        return !this.live;
      default:
        return true;
    }
  }

  private print(line: string): void {
    this.clearLine();
    this.write(`${line}\n`);
  }

  private clearLine(): void {
    if (this.lineShown) this.write("\r\x1b[2K");
    this.lineShown = false;
  }

  private redraw(): void {
    const elapsed = Math.round((this.clock() - this.startedAt) / 1000);
    const now = [...this.running.values()].slice(0, 3).join(", ");
    const columns = process.stderr.columns ?? 100;
    const line = `${this.done} done · ${this.running.size} running · ${this.failed} failed · ${elapsed}s${now === "" ? "" : ` · ${now}`}`;
    this.clearLine();
    this.write(line.length > columns - 1 ? `${line.slice(0, columns - 2)}…` : line);
    this.lineShown = true;
  }
}
