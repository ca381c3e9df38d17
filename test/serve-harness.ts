import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunSummary } from "../cli/commands/status.ts";
import { binary, type CliResult, runFlow } from "./support/run-cli.ts";
import { steps } from "./support/gate-steps.ts";

/**
 * What the `flow serve` tests share: a project of their own (its program,
 * its store, a key directory that is never the user's), the real server
 * started from the built binary on a free loopback port, and requests to
 * it as a browser or a script would make them.
 */

export interface Project {
  readonly cwd: string;
  readonly env: Record<string, string>;
  flow(...args: string[]): CliResult;
}

export function project(program: string): Project {
  const cwd = mkdtempSync(join(tmpdir(), "flow-serve-"));
  writeFileSync(join(cwd, "main.flow"), program);
  const env = { FLOW_KEYS_DIR: join(cwd, "keys") };
  return { cwd, env, flow: (...args: string[]) => runFlow(args, { cwd, env }) };
}

export const runIdOf = (stderr: string): string => /^run (\d{8}-\d{6}-[0-9a-f]{6})/m.exec(stderr)?.[1] ?? "";


/** The shared nodes, for tests that write programs of their own. */
export { steps };

export const gated = `${steps}
workflow main(n: int) -> string
  budget { compute: 1m }
  grants { proc }
{
  let p = plan(n)
  approve "merge" show p timeout 7d default reject
  return apply(p)
}`;

export const signalled = `${steps}
type Review = { verdict: "approve" | "revise", notes: string }

workflow main(n: int) -> string
  budget { compute: 1m }
  grants { proc }
{
  let p = plan(n)
  let review = wait signal "review" -> Review timeout 1h
  return "\${p} \${review.verdict}: \${review.notes}"
}`;

export interface Served {
  readonly url: string;
  /** The token printed on this start; null when the project had one already. */
  readonly token: string | null;
  /** The public key decisions are signed with, as the start-up line gives it for `flow keys trust`. */
  readonly signingKey: string | null;
  stderr(): string;
  stop(): Promise<{ readonly code: number | null; readonly stderr: string }>;
}

/** Starts `flow serve` in the project and waits for it to say where it listens. */
export async function serve(p: Project, ...args: string[]): Promise<Served> {
  const child: ChildProcess = spawn(binary, ["serve", "--port", "0", "--tick-every", "200ms", "--heartbeat", "300ms", ...args], {
    cwd: p.cwd,
    env: { ...(process.env as Record<string, string>), ...p.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const started = Date.now();
  while (!/decisions are signed with/.test(stderr)) {
    if (child.exitCode !== null || Date.now() - started > 20_000) throw new Error(`flow serve did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const url = /flow serve: (http:\/\/[^/]+)\//.exec(stderr)?.[1];
  if (url === undefined) throw new Error(`no address in: ${stderr}`);
  return {
    url,
    token: stdout.trim() === "" ? null : stdout.trim(),
    signingKey: /flow keys trust flow-serve (\S+)`/.exec(stderr)?.[1] ?? null,
    stderr: () => stderr,
    stop: async () => {
      child.kill("SIGTERM");
      return { code: await exited, stderr };
    },
  };
}

/** Every error's body. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly hint: string | null };
}

/** An answer, its body taken to be a `T` (the test says which; an error's is an ErrorBody). */
export interface Reply<T> {
  readonly status: number;
  readonly body: T;
  readonly text: string;
  readonly headers: Headers;
}

export async function call<T = ErrorBody>(served: Served, method: string, path: string, options: { body?: unknown; raw?: string; token?: string | null } = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined && options.token !== null) headers["authorization"] = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${served.url}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: a static file; the test looks at the text.
  }
  return { status: response.status, body: parsed as T, text, headers: response.headers };
}

/** Polls the run's status until `until` holds (or fails after a while). */
export async function waitFor(served: Served, run: string, until: (status: RunSummary) => boolean, ms = 20_000): Promise<RunSummary> {
  const started = Date.now();
  for (;;) {
    const reply = await call<RunSummary>(served, "GET", `/api/runs/${run}`);
    if (reply.status === 200 && until(reply.body)) return reply.body;
    if (Date.now() - started > ms) throw new Error(`run ${run} did not get there: ${JSON.stringify(reply.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface SseEvent {
  readonly id: string | null;
  readonly event: string | null;
  readonly data: string | null;
  /** A comment line (`: heartbeat`). */
  readonly comment: string | null;
}

/** An event stream read as `EventSource` would, until the caller has what it wants. */
export class EventReader {
  readonly events: SseEvent[] = [];
  private buffer = "";
  private readonly done: Promise<void>;

  private constructor(
    response: Response,
    private readonly controller: AbortController,
  ) {
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    this.done = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          this.buffer += decoder.decode(value, { stream: true });
          let end: number;
          while ((end = this.buffer.indexOf("\n\n")) !== -1) {
            this.events.push(parseEvent(this.buffer.slice(0, end)));
            this.buffer = this.buffer.slice(end + 2);
          }
        }
      } catch {
        // Aborted by close().
      }
    })();
  }

  /** Opens the stream; a refusal answers its status and no reader. */
  static async open(served: Served, path: string, headers: Record<string, string> = {}): Promise<{ readonly status: number; readonly reader: EventReader | null; readonly contentType: string | null }> {
    const controller = new AbortController();
    const response = await fetch(`${served.url}${path}`, { headers, signal: controller.signal });
    const contentType = response.headers.get("content-type");
    if (response.status !== 200) return { status: response.status, reader: null, contentType };
    return { status: 200, reader: new EventReader(response, controller), contentType };
  }

  /** The entries delivered so far: each event's id, and the kind and seq of the entry it carries. */
  entries(): { readonly id: number; readonly kind: string; readonly seq: number }[] {
    return this.events
      .filter((e) => e.event === "entry")
      .map((e) => {
        const entry = JSON.parse(e.data ?? "null") as { kind: string; seq: number };
        return { id: Number(e.id), kind: entry.kind, seq: entry.seq };
      });
  }

  async until(predicate: (reader: EventReader) => boolean, ms = 15_000): Promise<void> {
    const started = Date.now();
    while (!predicate(this)) {
      if (Date.now() - started > ms) throw new Error(`the stream did not deliver: ${JSON.stringify(this.events.slice(-5))}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.done;
  }
}

function parseEvent(block: string): SseEvent {
  let id: string | null = null;
  let event: string | null = null;
  let data: string | null = null;
  let comment: string | null = null;
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) comment = line.slice(1).trim();
    else if (line.startsWith("id: ")) id = line.slice(4);
    else if (line.startsWith("event: ")) event = line.slice(7);
    else if (line.startsWith("data: ")) data = data === null ? line.slice(6) : `${data}\n${line.slice(6)}`;
  }
  return { id, event, data, comment };
}
