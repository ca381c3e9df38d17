import { connect, type Socket } from "node:net";
import { MicrovmError } from "./microvm-error.ts";

/**
 * A QEMU Machine Protocol connection: JSON lines over the VM's QMP socket,
 * used to snapshot a template (migrate to a file) and to restore a clone
 * (migrate-incoming from it). Commands are answered in order; events are
 * not needed (migration status is polled).
 */
export class QmpClient {
  private buffer = "";
  private readonly waiting: Array<{ resolve: (value: unknown) => void; reject: (error: Error) => void; command: string }> = [];
  private greeted!: () => void;
  private closedError: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => this.receive(text));
    socket.on("close", () => this.fail(new MicrovmError("the VM's QMP connection closed (QEMU exited)")));
    socket.on("error", (error) => this.fail(new MicrovmError(`the VM's QMP connection failed: ${error.message}`)));
  }

  /** Connects once QEMU listens (it creates the socket as it starts), and negotiates capabilities. */
  static async connect(path: string, deadline: number, alive: () => boolean): Promise<QmpClient> {
    const socket = await connectWhenListening(path, deadline, alive);
    const client = new QmpClient(socket);
    await new Promise<void>((resolve) => (client.greeted = resolve));
    await client.execute("qmp_capabilities");
    return client;
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.closedError !== null) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject, command });
      this.socket.write(`${JSON.stringify(args === undefined ? { execute: command } : { execute: command, arguments: args })}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(text: string): void {
    this.buffer += text;
    let newline: number;
    while ((newline = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line === "") continue;
      const message = JSON.parse(line) as { QMP?: unknown; return?: unknown; error?: { desc: string }; event?: string };
      if (message.QMP !== undefined) this.greeted();
      else if (message.event !== undefined) continue;
      else {
        const next = this.waiting.shift();
        if (next === undefined) continue;
        if (message.error !== undefined) next.reject(new MicrovmError(`QEMU refused ${next.command}: ${message.error.desc}`));
        else next.resolve(message.return);
      }
    }
  }

  private fail(error: Error): void {
    this.closedError ??= error;
    for (const next of this.waiting.splice(0)) next.reject(error);
  }
}

/**
 * A unix socket QEMU is about to create: retried until it accepts, QEMU
 * exits (`alive` turns false), or the deadline passes.
 */
export async function connectWhenListening(path: string, deadline: number, alive: () => boolean): Promise<Socket> {
  for (;;) {
    const socket = await new Promise<Socket | null>((resolve) => {
      const attempt = connect(path);
      attempt.once("connect", () => {
        attempt.removeAllListeners("error");
        resolve(attempt);
      });
      attempt.once("error", () => resolve(null));
    });
    if (socket !== null) return socket;
    if (!alive()) throw new MicrovmError(`QEMU exited before it listened on ${path}`);
    if (Date.now() > deadline) throw new MicrovmError(`QEMU did not listen on ${path} in time`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
