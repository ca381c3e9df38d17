import { formatDuration, formatValue, units } from "../../../compiler/cost.ts";
import type { Ir } from "../../../compiler/ir/schema.ts";
import { graphModel, type WorkflowModel } from "../../../cli/graph/graph-model.ts";
import { abortText } from "../../../interpreter/core/budget.ts";
import { runGraph } from "../../server/run-graph.ts";
import { nodeStates } from "../graph/node-states.ts";
import type { SimulationAnswer, SimulationFrame, SimulationSpend } from "../protocol.ts";
import { Simulation, simulatedEpoch } from "./simulation.ts";

/** How many events go by between frames at the fastest pace: the page sees progress, and a stop gets in. */
const framesAtFullSpeed = 100;

/**
 * One simulation as the worker runs it for the page: paced (`pace` wall
 * ms between events, which only the animation needs; the simulated clock
 * is the run's), a frame posted after each event with what the page
 * draws, and the page's answers at gates fed in. Stopping it leaves the
 * simulation where it is; nothing else is shared with it.
 */
export class SimulationSession {
  private stopped = false;
  private looping = false;

  private constructor(
    readonly id: number,
    private readonly simulation: Simulation,
    private readonly model: WorkflowModel,
    private readonly post: (frame: SimulationFrame) => void,
    private readonly sleep: (ms: number) => Promise<void>,
    private pace: number,
  ) {}

  static async open(
    id: number,
    ir: Ir,
    workflow: string,
    pace: number,
    post: (frame: SimulationFrame) => void,
    sleep: (ms: number) => Promise<void>,
  ): Promise<SimulationSession> {
    const simulation = await Simulation.start(ir, workflow);
    const model = graphModel(ir).workflows.find((w) => w.name === workflow)!;
    const session = new SimulationSession(id, simulation, model, post, sleep, pace);
    session.post(session.frame());
    void session.loop();
    return session;
  }

  async answer(answer: SimulationAnswer): Promise<void> {
    if (this.stopped) return;
    switch (answer.kind) {
      case "decide":
        await this.simulation.decide(answer.instance, answer.decision);
        break;
      case "signal":
        await this.simulation.signal(answer.instance);
        break;
      case "lapse":
        await this.simulation.lapse(answer.instance);
        break;
    }
    this.post(this.frame());
    void this.loop();
  }

  setPace(pace: number): void {
    this.pace = pace;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.post(this.frame());
  }

  /** Lets events happen until the run ends or waits for the page; one loop at a time. */
  private async loop(): Promise<void> {
    if (this.looping) return;
    this.looping = true;
    try {
      let since = 0;
      while (!this.stopped && (await this.simulation.next())) {
        if (this.pace > 0 || ++since % framesAtFullSpeed === 0) {
          this.post(this.frame());
          await this.sleep(this.pace);
        }
      }
    } finally {
      this.looping = false;
    }
    if (!this.stopped) this.post(this.frame());
  }

  frame(): SimulationFrame {
    const { simulation } = this;
    const state = simulation.core.state;
    const graph = runGraph(simulation.core.plan.ir, state);
    const states =
      graph === null ? [] : [...nodeStates([...this.model.nodes.values()], this.model.edges, this.model.body, graph)];
    const waiting = simulation.waiting().map((w) => ({
      instance: w.instance,
      kind: w.kind,
      waitingFor: w.waitingFor,
      show: w.show === undefined || w.show === null ? null : JSON.stringify(w.show, null, 2),
      timeout: w.until === null ? null : formatDuration(Math.max(0, w.until - simulation.now)),
    }));
    const spend: SimulationSpend[] = units.map((unit) => {
      const spent = state.budget.spent[unit];
      const ceiling = state.budget.ceilings[unit];
      return {
        unit,
        spent: formatValue(spent, unit),
        ceiling: ceiling === null ? null : formatValue(ceiling, unit),
        share: ceiling === null || ceiling === 0 ? null : spent / ceiling,
      };
    });
    return {
      kind: "simulation",
      id: this.id,
      status: this.status(),
      run: state.run,
      workflow: state.workflow,
      entries: state.head.seq + 1,
      elapsed: formatDuration(simulation.now - simulatedEpoch),
      states,
      waiting,
      spend,
      outcome: this.outcome(),
    };
  }

  private status(): SimulationFrame["status"] {
    const status = this.simulation.core.state.status;
    switch (status) {
      case "completed":
      case "failed":
      case "aborted":
        return status;
      case "cancelled":
        return "stopped";
      case "running":
      case "parked":
      case "paused":
        if (this.stopped) return "stopped";
        return !this.looping && this.simulation.waiting().length > 0 ? "waiting" : "running";
    }
  }

  private outcome(): string | null {
    const state = this.simulation.core.state;
    switch (state.status) {
      case "completed":
        return JSON.stringify(state.result, null, 2);
      case "failed":
        return state.failures.map((f) => `${f.at}: ${f.failure.kind}: ${f.failure.message}`).join("\n");
      case "aborted":
        return abortText(state.budget);
      default:
        return null;
    }
  }
}
