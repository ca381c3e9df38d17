import type { Readable, Writable } from "node:stream";
import { CappedOutput } from "../run-shell.ts";
import type { ExecResult } from "../sandbox.ts";
import { MicrovmError } from "./microvm-error.ts";
import { connectWhenListening } from "./qmp.ts";

/**
 * The host's end of the guest agent's protocol (guest-agent.c says it in
 * full): frames "TYPE ID LENGTH\n" + bytes, over the unix socket QEMU
 * connects to the guest's virtio-serial port `agent`, or over the stdin and
 * stdout of the same agent in a bwrap sandbox (../bwrap/session-agent.ts).
 * Requests carry ids; a command's output streams back in chunks and ends
 * with its exit frame.
 */
export interface GuestCommand {
  readonly command: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Null: none of its own. The guest kills the command's cgroup when it passes. */
  readonly timeoutMs: number | null;
  /** The cgroup's pids.max in the guest: 1 keeps the command from starting any process. (A sandbox's agent ignores it: the host's cgroup and seccomp filter hold its commands.) */
  readonly pidsMax: number;
  readonly signal: AbortSignal;
  readonly onOutput?: (stream: "stdout" | "stderr", chunk: Buffer) => void;
}

type Pending =
  | { readonly kind: "request"; readonly resolve: (text: string) => void; readonly reject: (error: Error) => void }
  | {
      readonly kind: "exec";
      readonly stdout: CappedOutput;
      readonly stderr: CappedOutput;
      readonly onOutput: GuestCommand["onOutput"];
      readonly resolve: (result: ExecResult) => void;
      readonly reject: (error: Error) => void;
    };

/** How long past its own timeout a command may take to be reported before the guest is taken for hung. */
const hungGraceMs = 15_000;

/** Where the frames go: a socket both ways (a VM's port), or a child's stdout and stdin (a sandbox's agent). */
export interface AgentChannel {
  readonly input: Readable;
  readonly output: Writable;
  /** Ends the connection: the agent sees its host gone. */
  close(): void;
}

export class GuestAgent {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private input: Buffer = Buffer.alloc(0);
  private closedError: Error | null = null;
  private greet: () => void = () => undefined;
  /** Resolves when the agent says it runs unasked (frame R 0, as a sandbox's agent does once started). */
  readonly greeted = new Promise<void>((resolve) => (this.greet = resolve));

  constructor(private readonly channel: AgentChannel) {
    channel.input.on("data", (chunk: Buffer) => this.receive(chunk));
    channel.input.on("close", () => this.fail(new MicrovmError("the VM's agent disconnected (the VM ended)")));
    channel.input.on("error", (error) => this.fail(new MicrovmError(`the VM's agent connection failed: ${error.message}`)));
    if ((channel.output as unknown) !== channel.input) channel.output.on("error", (error) => this.fail(new MicrovmError(`the VM's agent connection failed: ${error.message}`)));
  }

  /** Connects to the agent's socket once QEMU listens on it. The agent answers once the guest has booted (see ready). */
  static async connect(path: string, deadline: number, alive: () => boolean): Promise<GuestAgent> {
    const socket = await connectWhenListening(path, deadline, alive);
    return new GuestAgent({ input: socket, output: socket, close: () => socket.destroy() });
  }

  /** Whether the connection has ended (the agent or its VM or sandbox is gone). */
  get closed(): boolean {
    return this.closedError !== null;
  }

  /** Resolves when the agent answers a ping: the guest has booted. */
  ready(deadline: number, alive: () => boolean): Promise<void> {
    return this.answered(this.request("p", ""), deadline, alive).then(() => undefined);
  }

  /**
   * A restored clone's first request: sets the guest's clock to now, reseeds
   * its RNG with 64 bytes of this host's randomness, and mounts the work tree
   * (`share`: how, or null for none). Sent as soon as the agent's socket
   * accepts, even while the clone's state is still loading: the guest reads
   * it once it runs, so the answer also says it runs.
   */
  wake(seed: Buffer, share: { readonly writable: boolean } | null, deadline: number, alive: () => boolean, now = Date.now()): Promise<string> {
    const mount = share === null ? "-" : share.writable ? "rw" : "ro";
    return this.answered(this.request("w", `${Math.floor(now / 1000)} ${(now % 1000) * 1_000_000} ${seed.toString("hex")} ${mount}`), deadline, alive);
  }

  networkUp(): Promise<string> {
    return this.request("n", "");
  }

  exec(command: GuestCommand): Promise<ExecResult> {
    const { signal } = command;
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.closedError !== null) return Promise.reject(this.closedError);
    const id = this.nextId++;
    const fields = [String(command.timeoutMs ?? 0), String(command.pidsMax), command.cwd, command.command, ...Object.entries(command.env).map(([name, value]) => `${name}=${value}`)];
    return new Promise<ExecResult>((resolve, reject) => {
      const onAbort = (): void => this.send("k", id, Buffer.alloc(0));
      signal.addEventListener("abort", onAbort, { once: true });
      const hung =
        command.timeoutMs === null
          ? undefined
          : setTimeout(() => this.fail(new MicrovmError(`the VM did not end a command ${hungGraceMs / 1000}s after its timeout: the guest is hung`)), command.timeoutMs + hungGraceMs);
      const settle = (): void => {
        clearTimeout(hung);
        signal.removeEventListener("abort", onAbort);
      };
      this.pending.set(id, {
        kind: "exec",
        stdout: new CappedOutput(),
        stderr: new CappedOutput(),
        onOutput: command.onOutput,
        resolve: (result) => {
          settle();
          if (signal.aborted) reject(signal.reason);
          else resolve(result);
        },
        reject: (error) => {
          settle();
          reject(signal.aborted ? signal.reason : error);
        },
      });
      this.send("x", id, Buffer.from(fields.map((field) => `${field}\0`).join("")));
    });
  }

  close(): void {
    this.channel.close();
  }

  /** The answer, or an error once the VM has exited or the deadline has passed without one. */
  private async answered(answer: Promise<string>, deadline: number, alive: () => boolean): Promise<string> {
    for (;;) {
      const settled = await Promise.race([answer.then((text) => ({ text })), new Promise<null>((resolve) => setTimeout(() => resolve(null), 50))]);
      if (settled !== null) return settled.text;
      if (!alive()) throw new MicrovmError("the VM exited before its agent answered");
      if (Date.now() > deadline) throw new MicrovmError("the VM's agent did not answer in time");
    }
  }

  private request(type: string, payload: string): Promise<string> {
    if (this.closedError !== null) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { kind: "request", resolve, reject });
      this.send(type, id, Buffer.from(payload));
    });
  }

  private send(type: string, id: number, payload: Buffer): void {
    this.channel.output.write(Buffer.concat([Buffer.from(`${type} ${id} ${payload.length}\n`), payload]));
  }

  private receive(chunk: Buffer): void {
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    for (;;) {
      const newline = this.input.indexOf(10);
      if (newline < 0) return;
      const header = /^([A-Z]) (\d+) (\d+)$/.exec(this.input.subarray(0, newline).toString("latin1"));
      if (header === null) return this.fail(new MicrovmError(`the VM's agent sent a malformed frame: ${JSON.stringify(this.input.subarray(0, 80).toString())}`));
      const length = Number(header[3]);
      if (this.input.length < newline + 1 + length) return;
      const payload = this.input.subarray(newline + 1, newline + 1 + length);
      this.input = this.input.subarray(newline + 1 + length);
      this.dispatch(header[1]!, Number(header[2]), payload);
    }
  }

  private dispatch(type: string, id: number, payload: Buffer): void {
    if (id === 0 && type === "R") return this.greet();
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    switch (pending.kind) {
      case "request":
        this.pending.delete(id);
        if (type === "R") pending.resolve(payload.toString());
        else pending.reject(new MicrovmError(`the VM's agent: ${payload.toString()}`));
        return;
      case "exec":
        switch (type) {
          case "O":
          case "E": {
            const stream = type === "O" ? "stdout" : "stderr";
            (type === "O" ? pending.stdout : pending.stderr).add(payload);
            pending.onOutput?.(stream, Buffer.from(payload));
            return;
          }
          case "X": {
            this.pending.delete(id);
            const [exit, oom, timedOut] = payload.toString().split(" ").map(Number);
            pending.resolve({
              exit: exit ?? 1,
              stdout: pending.stdout.text(),
              stderr: pending.stderr.text() + pending.stdout.note("stdout") + pending.stderr.note("stderr"),
              timedOut: timedOut === 1,
              outOfMemory: oom === 1,
            });
            return;
          }
          default:
            this.pending.delete(id);
            pending.reject(new MicrovmError(`the VM's agent could not run the command: ${payload.toString()}`));
            return;
        }
    }
  }

  private fail(error: Error): void {
    this.closedError ??= error;
    this.channel.close();
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
