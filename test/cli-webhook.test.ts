import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { binary, runFlow } from "./support/run-cli.ts";

/**
 * The park notification, end to end: `flow run` parks at a gate and POSTs
 * to the project's webhook, a real HTTP server on loopback here; what the
 * server answered is in the ledger. The command runs as a child process
 * without blocking this one, which has to answer it.
 */

const program = `
import { sh } from "std/sandbox"

node plan(n: int) -> List<string>
  effects { proc }
  budget  { compute: 10s }
{
  let r = sh("echo plan-\${n as string}")
  return ["core", "web", r.stdout]
}

workflow main(n: int) -> int
  budget { compute: 1m }
  grants { proc }
{
  let p = plan(n)
  approve "merge" show p timeout 7d default reject
  return n
}`;

interface Received {
  readonly contentType: string | undefined;
  readonly body: { text: string; blocks: { type: string; text?: { text: string }; elements?: { text: string }[] }[]; flow: Record<string, unknown> };
}

let server: Server | null = null;

afterEach(() => {
  server?.close();
  server = null;
});

/** A receiver that answers each POST with the next status of `statuses` (the last one from then on). */
async function receiver(statuses: readonly number[]): Promise<{ url: string; received: Received[]; receipts: Received["body"][] }> {
  const received: Received[] = [];
  const receipts: Received["body"][] = [];
  server = createServer((request: IncomingMessage, response) => {
    let text = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (text += chunk));
    request.on("end", () => {
      const body = JSON.parse(text) as Received["body"];
      // Receipts come here too (best effort): they are counted apart, and answered 200.
      if (body.flow["event"] === "receipt") {
        receipts.push(body);
        response.end("ok");
        return;
      }
      received.push({ contentType: request.headers["content-type"], body });
      response.statusCode = statuses[Math.min(received.length - 1, statuses.length - 1)] as number;
      response.end(response.statusCode === 200 ? "ok" : "try later");
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/hook`, received, receipts };
}

function project(url: string): string {
  const cwd = mkdtempSync(join(tmpdir(), "flow-webhook-"));
  writeFileSync(join(cwd, "main.flow"), program);
  writeFileSync(join(cwd, "flow.config.json"), JSON.stringify({ webhook: { url, attempts: 3, backoffMs: 50, timeoutMs: 2_000 } }));
  return cwd;
}

/** `flow ARGS` in `cwd`, in a child process this one does not wait on synchronously. */
function flow(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(binary, args, { cwd, env: { ...process.env, FORCE_COLOR: "" } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr });
    });
  });
}

const runIdOf = (stderr: string) => /^run (\d{8}-\d{6}-[0-9a-f]{6})/m.exec(stderr)?.[1] ?? "";

function recorded(cwd: string, run: string): { kind: string; data: Record<string, unknown> }[] {
  return runFlow(["export", run], { cwd }).stdout.trim().split("\n").map((t) => JSON.parse(t) as { kind: string; data: Record<string, unknown> });
}

describe("the park notification", () => {
  it("arrives with the gate, what it shows and the spend so far; a failed delivery is retried, and every attempt recorded", async () => {
    const hook = await receiver([503, 200]);
    const cwd = project(hook.url);
    const started = await flow(cwd, "run", "main.flow", "--arg", "n=3");
    expect(started.code, started.stderr).toBe(0);
    const run = runIdOf(started.stderr);
    expect(started.stderr).toContain("approve:merge: the park notification was delivered (2 attempts)");

    expect(hook.received).toHaveLength(2);
    const { contentType, body } = hook.received[1]!;
    expect(contentType).toBe("application/json");
    expect(hook.received[0]!.body).toEqual(body);
    expect(body.text).toBe(`run ${run} (main) is parked at approve:merge, waiting for approval "merge"`);
    const texts = body.blocks.flatMap((b) => [b.text?.text ?? "", ...(b.elements ?? []).map((e) => e.text)]).join("\n");
    expect(texts).toContain('"core"');
    expect(texts).toContain("compute");
    expect(texts).toContain(`flow approve ${run} merge`);
    expect(body.flow).toMatchObject({ run, instance: "approve:merge", waitingFor: 'approval "merge"', show: ["core", "web", "plan-3\n"] });
    // The receipt made as the run was let go went there too.
    expect(hook.receipts.map((r) => r.text)).toEqual([expect.stringMatching(new RegExp(`^receipt of run ${run} up to entry \\d+ \\(parked\\)$`))]);

    const sent = recorded(cwd, run).filter((e) => e.kind === "notification.sent");
    expect(sent).toHaveLength(1);
    const record = sent[0]!.data.record as { delivered: boolean; attempts: { status: number | null }[] };
    expect(record.delivered).toBe(true);
    expect(record.attempts.map((a) => a.status)).toEqual([503, 200]);
    expect(runFlow(["replay", run], { cwd }).code).toBe(0);
  });

  it("gives up after its attempts, records that it did, and leaves the run parked", async () => {
    const hook = await receiver([500]);
    const cwd = project(hook.url);
    const started = await flow(cwd, "run", "main.flow", "--arg", "n=4");
    expect(started.code, started.stderr).toBe(0);
    const run = runIdOf(started.stderr);
    expect(hook.received).toHaveLength(3);
    expect(started.stderr).toContain("approve:merge: the park notification was not delivered (3 attempts; last: HTTP 500");
    const record = recorded(cwd, run).find((e) => e.kind === "notification.sent")!.data.record as { delivered: boolean; attempts: unknown[] };
    expect(record).toMatchObject({ delivered: false });
    expect(record.attempts).toHaveLength(3);
    expect(runFlow(["runs"], { cwd }).stdout).toMatch(new RegExp(`${run}  parked`));
  });
});
