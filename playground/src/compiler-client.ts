import type { Analysis, FormatResult, FromWorker, SimulationAnswer, SimulationFrame, ToWorker } from "./protocol.ts";
import CompilerWorker from "./worker/compiler-worker.ts?worker";

/**
 * The page's end of the compiler's worker: edits go in tagged with the
 * editor's version, analyses come back to `onAnalysis` (the newest only:
 * one for an older version than already shown is dropped), and formatting
 * is a request answered by id.
 */
export class CompilerClient {
  private readonly worker: Worker = new CompilerWorker();
  private latest = -1;
  private nextId = 0;
  private readonly formats = new Map<number, (result: FormatResult) => void>();
  /** The simulation the page shows: frames of earlier ones are dropped. */
  private simulation = -1;
  /** Where a simulation's frames go (simulate/simulate-panel.ts). */
  onSimulation: (frame: SimulationFrame) => void = () => undefined;

  constructor(
    private readonly onAnalysis: (analysis: Analysis) => void,
    private readonly onCrash: (message: string) => void,
  ) {
    this.worker.onmessage = (event: MessageEvent<FromWorker>) => this.receive(event.data);
    this.worker.onerror = (event) => onCrash(event.message);
  }

  analyse(path: string, text: string, version: number): void {
    this.send({ kind: "analyse", version, path, text });
  }

  format(path: string, text: string): Promise<FormatResult> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.formats.set(id, resolve);
      this.send({ kind: "format", id, path, text });
    });
  }

  /** Starts simulating `workflow` of this source (a new simulation stops the last); returns its number. */
  simulate(path: string, text: string, workflow: string, pace: number): number {
    this.simulation = this.nextId++;
    this.send({ kind: "simulate", id: this.simulation, path, text, workflow, pace });
    return this.simulation;
  }

  answerSimulation(answer: SimulationAnswer): void {
    this.send({ kind: "simulation-answer", id: this.simulation, answer });
  }

  paceSimulation(pace: number): void {
    this.send({ kind: "simulation-pace", id: this.simulation, pace });
  }

  stopSimulation(): void {
    this.send({ kind: "simulation-stop", id: this.simulation });
  }

  private send(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  private receive(message: FromWorker): void {
    switch (message.kind) {
      case "analysis":
        if (message.version < this.latest) return;
        this.latest = message.version;
        this.onAnalysis(message);
        return;
      case "formatted":
      case "not-formatted":
        this.formats.get(message.id)?.(message);
        this.formats.delete(message.id);
        return;
      case "simulation":
        if (message.id === this.simulation) this.onSimulation(message);
        return;
      case "crashed":
        this.onCrash(message.message);
        return;
    }
  }
}
