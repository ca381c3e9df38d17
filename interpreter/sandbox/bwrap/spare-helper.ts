import { type ChildProcess, spawn } from "node:child_process";
import helperSource from "./spare-helper.c?raw";
import { type SpareConnections, spareConnections } from "./spare-connections.ts";
import { RunningSandbox, type SandboxAgentBinary } from "./session-agent.ts";
import { holdProcess } from "./process-hold.ts";
import { staticBinary } from "./static-binary.ts";

/** How a session sees the tree mounted in its spare. */
export type AttachedAccess = "read" | "write";

/**
 * flow's spare helper (./spare-helper.c says what it does and how): one
 * process for this one's life, started with the first spare, which starts
 * spares' sandboxes (a fork of it, not of node: ~4 ms of this process's
 * main thread each on a loaded host, and a shell) and mounts a session's
 * tree into the spare it takes. Null where it cannot run (no C compiler,
 * a kernel before 5.12, flow not root): sessions then start their own
 * sandboxes, from a spare launcher or not.
 */
export class SpareHelper {
  private readonly waiting: { readonly answer: RegExp; readonly resolve: (line: string) => void; readonly reject: (error: Error) => void }[] = [];
  /** Sandboxes started and not connected yet: this process is kept alive for them, as for an answer. */
  private connecting = 0;
  private received = "";
  private ended: Error | null = null;

  private constructor(
    private readonly child: ChildProcess,
    private readonly connections: SpareConnections,
  ) {
    child.stdout?.on("data", (chunk: Buffer) => this.receive(chunk.toString("utf8")));
    child.stdin?.on("error", () => undefined);
    child.on("exit", () => this.end(new Error("flow's spare helper ended")));
    child.on("error", (error) => this.end(error));
    this.hold(false);
  }

  /** Starts the helper, with the agent as its fd 3, and waits for its greeting: ready, or why it cannot work here. */
  static async start(path: string, binary: SandboxAgentBinary): Promise<SpareHelper | { readonly problem: string }> {
    const connections = await spareConnections();
    const child = spawn(path, [], { stdio: ["pipe", "pipe", "ignore", binary.fd] });
    const greeting = await new Promise<string>((resolve) => {
      let text = "";
      const read = (chunk: Buffer) => {
        text += chunk.toString("utf8");
        if (!text.includes("\n")) return;
        child.stdout?.off("data", read);
        resolve(text);
      };
      child.stdout?.on("data", read);
      child.on("exit", () => resolve(text));
      child.on("error", (error) => resolve(`unsupported ${error.message}\n`));
    });
    if (greeting === "ready\n") return new SpareHelper(child, connections);
    child.kill("SIGKILL");
    return { problem: greeting.replace(/^unsupported /, "").trim() || "flow's spare helper ended at start" };
  }

  /**
   * Starts a sandbox: bwrap with ARGS, joined to the groups of PROCS_FILES
   * first; resolves once its agent is connected (it greets later), with
   * the sandbox not holding this process alive.
   */
  async startSandbox(procsFiles: readonly string[], args: readonly string[]): Promise<RunningSandbox> {
    const strings = [this.connections.path, ...procsFiles, ...args];
    // The request's strings end at a NUL: one inside a string would end it early, and the rest be read as a request.
    if (strings.some((text) => text.includes("\0")) || procsFiles.length + args.length >= 4096) throw new Error("a bwrap argument the spare helper cannot be given");
    const { token, connected } = this.connections.expect();
    this.connecting++;
    try {
      await this.request(`start ${token} ${procsFiles.length} ${args.length}\n${strings.map((text) => `${text}\0`).join("")}`, /^started \d+$/);
      const { socket, pid } = await connected;
      const sandbox = RunningSandbox.connected(socket, pid);
      sandbox.holdsProcess(false);
      return sandbox;
    } finally {
      this.connections.forget(token);
      this.connecting--;
      this.hold(this.waiting.length > 0 || this.connecting > 0);
    }
  }

  /** Mounts TREE (a real path) at /flow/work in the sandbox whose bwrap is BWRAP_PID, writable or read-only. */
  async attach(bwrapPid: number, tree: string, access: AttachedAccess): Promise<void> {
    const request = tree.includes("\0") ? Promise.reject(new Error("a path with a NUL in it")) : this.request(`attach ${bwrapPid} ${access}\n${tree}\0`, /^ok$/);
    await request.catch((error: Error) => {
      throw new Error(`could not mount the work tree in the sandbox: ${error.message}`);
    });
  }

  /**
   * Sends a request; resolves with its answer's line when it is the one `answer` matches, or rejects with the error
   * it says. Answers come in the order of the requests: any other line means the two no longer pair up, and the
   * helper is ended (its sandboxes with it) rather than trusted with the next.
   */
  private request(text: string, answer: RegExp): Promise<string> {
    if (this.ended !== null) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      this.waiting.push({ answer, resolve, reject });
      this.hold(true);
      this.child.stdin?.write(text);
    });
  }

  private receive(text: string): void {
    this.received += text;
    for (let end = this.received.indexOf("\n"); end >= 0 && this.ended === null; end = this.received.indexOf("\n")) {
      const line = this.received.slice(0, end);
      this.received = this.received.slice(end + 1);
      const request = this.waiting.shift();
      if (request !== undefined && line.startsWith("error ")) request.reject(new Error(line.slice("error ".length)));
      else if (request !== undefined && request.answer.test(line)) request.resolve(line);
      else {
        request?.reject(new Error(`flow's spare helper answered \`${line.slice(0, 80)}\``));
        this.child.kill("SIGKILL");
        this.end(new Error("flow's spare helper answered out of turn"));
      }
    }
    this.hold(this.waiting.length > 0 || this.connecting > 0);
  }

  private end(error: Error): void {
    if (this.ended !== null) return;
    this.ended = error;
    for (const request of this.waiting.splice(0)) request.reject(error);
    // The next spare starts another.
    helper = null;
  }

  /** Whether the helper keeps this process alive: only while an answer is awaited (it ends with this process anyway). */
  private hold(hold: boolean): void {
    holdProcess([this.child, this.child.stdin, this.child.stdout], hold);
  }
}

let helper: Promise<SpareHelper | { readonly problem: string }> | null = null;

/** The helper's program, built into flow's cache on first use. */
export function spareHelperBinary(): Promise<string> {
  return staticBinary({ name: "flow-spare-helper", what: "spare helper", source: helperSource });
}

/** This process's helper (started, or started again if it ended), or why there is none. */
export function spareHelper(binary: SandboxAgentBinary): Promise<SpareHelper | { readonly problem: string }> {
  helper ??= spareHelperBinary().then(
    (path) => SpareHelper.start(path, binary),
    (error: Error) => ({ problem: error.message }),
  );
  return helper;
}
