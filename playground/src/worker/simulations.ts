import { compile } from "../../../compiler/compile-ir.ts";
import type { ModuleHost } from "../../../compiler/modules.ts";
import { SourceFile } from "../../../language/source-file.ts";
import type { FromWorker, ToWorker } from "../protocol.ts";
import { SimulationSession } from "../simulate/simulation-session.ts";
import { SimulationRefused } from "../simulate/simulation.ts";

type SimulationMessage = Extract<ToWorker, { kind: "simulate" | "simulation-answer" | "simulation-pace" | "simulation-stop" }>;

/**
 * The worker's end of the page's Simulate button: one simulation at a
 * time (a new one stops the last), of the source as it was sent, compiled
 * here as `flow run` compiles it (a program with errors is not run).
 */
export class Simulations {
  private current: SimulationSession | null = null;

  constructor(
    private readonly reply: (message: FromWorker) => void,
    private readonly hostFor: (message: { readonly path: string; readonly text: string }) => ModuleHost,
  ) {}

  async receive(message: SimulationMessage): Promise<void> {
    switch (message.kind) {
      case "simulate":
        return this.start(message);
      case "simulation-answer":
        if (this.current?.id === message.id) await this.current.answer(message.answer);
        return;
      case "simulation-pace":
        if (this.current?.id === message.id) this.current.setPace(message.pace);
        return;
      case "simulation-stop":
        if (this.current?.id === message.id) this.current.stop();
        return;
    }
  }

  private async start(message: Extract<SimulationMessage, { kind: "simulate" }>): Promise<void> {
    this.current?.stop();
    this.current = null;
    const result = compile(new SourceFile(message.path, message.text), this.hostFor(message), { strict: false });
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    if (result.ir === undefined || errors.length > 0) {
      return this.refuse(
        message,
        `the program has ${errors.length} error${errors.length === 1 ? "" : "s"}: fix ${errors.length === 1 ? "it" : "them"} first`,
      );
    }
    const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
    try {
      this.current = await SimulationSession.open(message.id, result.ir, message.workflow, message.pace, this.reply, sleep);
    } catch (error) {
      if (error instanceof SimulationRefused) return this.refuse(message, error.message);
      throw error;
    }
  }

  private refuse(message: { readonly id: number; readonly workflow: string }, why: string): void {
    this.reply({
      kind: "simulation",
      id: message.id,
      status: "refused",
      run: "",
      workflow: message.workflow,
      entries: 0,
      elapsed: "0s",
      states: [],
      waiting: [],
      spend: [],
      outcome: why,
    });
  }
}
