import { spawn } from "node:child_process";
import { constants } from "node:os";
import type { Readable, Writable } from "node:stream";
import type { ExecOptions, ExecResult } from "./sandbox.ts";

/**
 * At most this many bytes of each of stdout and stderr are kept (10 MiB):
 * a command's output is journaled, and a runaway log must not fill the
 * ledger. What is cut is said at the end of stderr.
 */
export const outputLimitBytes = 10 * 1024 * 1024;

/**
 * What every command sees of this process's environment: enough to find
 * programs and a home directory, nothing that belongs to the host's user
 * session (tokens, agent sockets). Text is UTF-8 in the C locale, so tools
 * sort and format the same way on every machine.
 */
const inheritedVariables = ["PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "TZ"] as const;

function commandEnvironment(env: Readonly<Record<string, string>>): Record<string, string> {
  const base: Record<string, string> = { PATH: "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8", LC_ALL: "C.UTF-8" };
  for (const name of inheritedVariables) {
    const value = process.env[name];
    if (value !== undefined) base[name] = value;
  }
  return { ...base, ...env };
}

/**
 * Runs `argv` (`/bin/sh -c command`, or a sandbox's launcher around it) in
 * `cwd` as the leader of a process group of its own, so that a timeout or an abort kills everything it started, not
 * only the shell. The group is also killed when the shell exits: a
 * background process left behind would outlive the step that started it,
 * which a journaled step cannot account for (and it would hold the output
 * pipes open, so the step would not end).
 *
 * Standard input is empty. The exit code of a command killed by a signal
 * is 128 + the signal's number, as a shell reports it. An abort rejects
 * with the signal's reason once the group is gone.
 */
export function runShell(
  argv: readonly [string, ...string[]],
  cwd: string,
  options: ExecOptions & {
    /** The launcher's own environment, when it is not the command's (a sandbox that clears it and sets its own). */
    readonly launcherEnv?: Readonly<Record<string, string>>;
    /** Pipes for the child beyond stdio, from fd 3 on: bytes it reads (a seccomp filter), or text it writes (a status). */
    readonly pipes?: readonly ExtraPipe[];
  },
  /** Told the group's id once it runs and again once it is gone (host-tree.ts records it, to end it after a crash). */
  track?: { readonly started: (group: number) => void; readonly ended: (group: number) => void },
): Promise<ExecResult> {
  const { signal, onOutput } = options;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const [file, ...args] = argv;
    const child = spawn(file, args, {
      cwd,
      env: options.launcherEnv ?? commandEnvironment(options.env),
      detached: true,
      stdio: ["ignore", "pipe", "pipe", ...(options.pipes ?? []).map(() => "pipe" as const)],
    });
    (options.pipes ?? []).forEach((pipe, index) => connect(pipe, child.stdio[3 + index] as Readable & Writable));
    if (child.pid !== undefined) track?.started(child.pid);
    const stdout = new CappedOutput();
    const stderr = new CappedOutput();
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout.add(chunk);
      onOutput?.("stdout", chunk);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr.add(chunk);
      onOutput?.("stderr", chunk);
    });

    let timedOut = false;
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // ESRCH: every process of the group has ended already.
      }
    };
    const timer = options.timeoutMs === null ? undefined : setTimeout(() => ((timedOut = true), killGroup()), options.timeoutMs);
    const onAbort = (): void => killGroup();
    signal.addEventListener("abort", onAbort, { once: true });
    const settle = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    };

    child.on("error", (error) => {
      settle();
      reject(error);
    });
    child.on("exit", killGroup);
    child.on("close", (code, signalName) => {
      settle();
      if (child.pid !== undefined) track?.ended(child.pid);
      if (signal.aborted) return reject(signal.reason);
      const exit = code ?? 128 + (signalName === null ? 0 : constants.signals[signalName]);
      resolve({ exit, stdout: stdout.text(), stderr: stderr.text() + stdout.note("stdout") + stderr.note("stderr"), timedOut, outOfMemory: false });
    });
  });
}

/** A descriptor beyond stdio: `input` is written to the child and closed; what the child writes is handed to `output` once it closes. */
export type ExtraPipe = { readonly input: Buffer } | { readonly output: (text: string) => void };

function connect(pipe: ExtraPipe, stream: Readable & Writable): void {
  if ("input" in pipe) {
    stream.end(pipe.input);
    return;
  }
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  stream.on("close", () => pipe.output(Buffer.concat(chunks).toString("utf8")));
}

/** A stream's bytes up to `outputLimitBytes`, decoded as UTF-8 at the end (so no character is split between chunks). */
export class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  add(chunk: Buffer): void {
    const room = outputLimitBytes - this.kept;
    const taken = chunk.length <= room ? chunk : chunk.subarray(0, room);
    if (taken.length > 0) this.chunks.push(taken);
    this.kept += taken.length;
    this.dropped += chunk.length - taken.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }

  note(stream: string): string {
    return this.dropped === 0 ? "" : `\n[flow: ${stream} cut at ${outputLimitBytes} bytes; ${this.dropped} more bytes were dropped]\n`;
  }
}
