import type { Analysis, FormatResult, FromWorker, ToWorker } from "./protocol.ts";
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
      case "crashed":
        this.onCrash(message.message);
        return;
    }
  }
}
