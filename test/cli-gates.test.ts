import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { reviewedItems, steps } from "./support/gate-steps.ts";
import { binary, runFlow } from "./support/run-cli.ts";

/**
 * Gates and timers across processes, as users type the commands: a run
 * parks and its process exits; another process decides (`flow approve`,
 * signed) or fires what is due (`flow tick`); the ledger replays.
 */

const gated = (clause: string) => `${steps}
workflow main(n: int) -> string
  budget { compute: 1m }
  grants { proc }
{
  let p = plan(n)
  approve "merge" show p ${clause}
  return apply(p)
}`;

/** A project directory with the program and a key directory of its own (never the user's). */
function project(program: string): { cwd: string; env: Record<string, string>; flow: (...args: string[]) => ReturnType<typeof runFlow> } {
  const cwd = mkdtempSync(join(tmpdir(), "flow-gates-"));
  writeFileSync(join(cwd, "main.flow"), program);
  const env = { FLOW_KEYS_DIR: join(cwd, "keys") };
  return { cwd, env, flow: (...args: string[]) => runFlow(args, { cwd, env }) };
}

const runIdOf = (stderr: string) => /^run (\d{8}-\d{6}-[0-9a-f]{6})/m.exec(stderr)?.[1] ?? "";

function entries(p: ReturnType<typeof project>, run: string): string[] {
  const out = p.flow("export", run);
  expect(out.code, out.stderr).toBe(0);
  return out.stdout.trim().split("\n");
}

describe("approve across processes", () => {
  it("flow run parks and exits; a signed flow approve in another process continues and completes it; the ledger replays", () => {
    const p = project(gated("timeout 7d default reject"));
    const started = p.flow("run", "main.flow", "--arg", "n=3");
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toBe("");
    const run = runIdOf(started.stderr);
    expect(started.stderr).toContain(`run ${run} is parked at approve:merge (approval "merge")`);
    expect(p.flow("runs").stdout).toMatch(new RegExp(`${run}  parked`));
    const parked = entries(p, run).map((t) => JSON.parse(t) as { kind: string; data: Record<string, unknown> });
    expect(parked.find((e) => e.kind === "run.parked")?.data).toEqual({ instance: "approve:merge", waitingFor: 'approval "merge"', show: "plan-3\n" });

    // Not trusted yet: refused, nothing recorded.
    expect(p.flow("keys", "init", "--name", "alice").code).toBe(0);
    const untrusted = p.flow("approve", run, "merge");
    expect(untrusted.code).toBe(2);
    expect(untrusted.stderr).toContain("signed by a key this project does not trust: alice");
    expect(entries(p, run)).toHaveLength(parked.length);

    const key = (JSON.parse(p.flow("keys", "list", "--json").stdout) as { keys: { key: string }[] }).keys[0]!.key;
    // `keys init --trust` again makes no second alice, and says how to trust the one there is.
    const again = p.flow("keys", "init", "--name", "alice", "--trust");
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`\`flow keys trust alice ${key}\` trusts it in this project`);
    // The hint counts what `keys list` prints (base64 of 32 bytes, its `=` included).
    const notKey = p.flow("keys", "trust", "alice", key.slice(0, 20));
    expect(notKey.code).toBe(2);
    expect(notKey.stderr).toContain(`the ${key.length} characters \`flow keys init\` or \`flow keys list\` prints`);
    expect(p.flow("keys", "trust", "alice", key).code).toBe(0);
    expect(JSON.parse(readFileSync(join(p.cwd, "flow.config.json"), "utf8"))).toEqual({ approvers: [{ name: "alice", key }] });

    // Following a parked run says it waits, once, and goes on following (stopped here after a moment).
    const following = spawnSync(binary, ["logs", run, "--follow"], { cwd: p.cwd, env: { ...process.env, ...p.env }, encoding: "utf8", timeout: 1_500 });
    expect(following.stderr).toBe(`run ${run} is parked: following it until it ends (Ctrl-C stops)\n`);
    const approved = p.flow("approve", run, "merge", "--comment", "looks right");
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toBe('"plan-3\\n applied\\n"\n');
    expect(approved.stderr).toContain(`run ${run}: approved at approve:merge by alice`);
    const decided = entries(p, run).map((t) => JSON.parse(t) as { kind: string; data: Record<string, unknown> });
    const decision = decided.find((e) => e.kind === "gate.decided");
    expect(decision?.data).toMatchObject({ instance: "approve:merge", decision: "approve", comment: "looks right", approver: { name: "alice", key } });
    expect(decided.at(-1)?.kind).toBe("run.completed");
    expect(p.flow("replay", run).stdout).toMatch(/^identical: /);
    // Decided once: the gate is closed now, and the run has ended.
    const closed = p.flow("approve", run, "merge");
    expect(closed.code).toBe(2);
    expect(closed.stderr).toMatch(new RegExp(`^flow: run ${run} is not waiting at merge: it has completed\n`));
    expect(p.flow("approve", run).stderr).toMatch(new RegExp(`^flow: run ${run} is not waiting for any gate: it has completed\n`));
    expect(p.flow("signal", run, "go", "--data", "1").stderr).toMatch(new RegExp(`^flow: run ${run} is not waiting at go: it has completed\n`));
  });

  it("refuses a decision changed after signing, and one signed with a foreign key; a rejection fails the run", () => {
    const p = project(gated(""));
    const run = runIdOf(p.flow("run", "main.flow", "--arg", "n=1").stderr);
    expect(p.flow("keys", "init", "--name", "alice", "--trust").code).toBe(0);
    const before = entries(p, run).length;

    const signed = p.flow("approve", run, "merge", "--sign-only", "decision.json");
    expect(signed.code, signed.stderr).toBe(0);
    const decision = readFileSync(join(p.cwd, "decision.json"), "utf8");
    writeFileSync(join(p.cwd, "changed.json"), decision.replace('"approve"', '"reject"'));
    const tampered = p.flow("approve", run, "--decision", "changed.json");
    expect(tampered.code).toBe(2);
    expect(tampered.stderr).toContain("the decision's signature does not hold");

    const mallory = { ...p.env, FLOW_KEYS_DIR: join(p.cwd, "other-keys") };
    expect(runFlow(["keys", "init", "--name", "mallory"], { cwd: p.cwd, env: mallory }).code).toBe(0);
    const foreign = runFlow(["approve", run, "merge"], { cwd: p.cwd, env: mallory });
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain("signed by a key this project does not trust: mallory");
    expect(entries(p, run)).toHaveLength(before);

    // The untouched decision, signed elsewhere, is recorded as it was signed.
    const rejected = p.flow("approve", run, "merge", "--reject", "--comment", "not now");
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain('approve:merge: Rejected: the gate "merge" was rejected by alice: not now');
    expect(p.flow("replay", run).code).toBe(0);
  });

  it("a gate written `by \"leads\"` takes only decisions of an approver in that group", () => {
    const p = project(gated('by "leads"'));
    const run = runIdOf(p.flow("run", "main.flow", "--arg", "n=1").stderr);
    expect(p.flow("keys", "init", "--name", "alice", "--trust").code).toBe(0);
    const before = entries(p, run).length;

    const outside = p.flow("approve", run, "merge");
    expect(outside.code).toBe(2);
    expect(outside.stderr).toBe('flow: the gate "merge" is decided by "leads", and alice is not in that group\nflow.config.json says who is: "groups": ["leads"] in an approver\'s entry\n');
    expect(entries(p, run)).toHaveLength(before);

    const key = (JSON.parse(readFileSync(join(p.cwd, "flow.config.json"), "utf8")) as { approvers: { key: string }[] }).approvers[0]!.key;
    const joined = p.flow("keys", "trust", "alice", key, "--group", "leads");
    expect(joined.stderr).toContain('alice (');
    expect(joined.stderr).toContain('may now decide at this project\'s gates, in "leads"');
    expect(JSON.parse(readFileSync(join(p.cwd, "flow.config.json"), "utf8"))).toMatchObject({ approvers: [{ name: "alice", key, groups: ["leads"] }] });
    expect(p.flow("keys", "trust", "alice", key, "--group", "leads").stderr).toContain('already trusts');

    const approved = p.flow("approve", run, "merge");
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain("plan-1");
    expect(p.flow("replay", run).code).toBe(0);
  });

  it("a decision signed against an older head is refused once the run has moved on", () => {
    const p = project(gated(""));
    const run = runIdOf(p.flow("run", "main.flow", "--arg", "n=2").stderr);
    expect(p.flow("keys", "init", "--name", "alice", "--trust").code).toBe(0);
    expect(p.flow("approve", run, "--sign-only", "decision.json").code).toBe(0);
    // Another process takes the run over (it records that it did): the head the decision was signed on is gone.
    expect(p.flow("resume", run).code).toBe(0);
    const stale = p.flow("approve", run, "--decision", "decision.json");
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain("has moved on");
  });
});

describe("a near timeout", () => {
  it("is waited for in the process that runs the gate: its default applies there", () => {
    const p = project(gated("timeout 1s default approve"));
    const result = p.flow("run", "main.flow", "--arg", "n=6");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('"plan-6\\n applied\\n"\n');
    expect(result.stderr).toContain("no decision before the timeout; its default applies (approve)");
  });
});

describe("a gate decided before its timeout", () => {
  it("leaves the timeout behind: the next wait parks at once, with no timeout of its own shown, and nothing fires", () => {
    const p = project(`
workflow main(n: int) -> int
  budget { compute: 1m }
{
  approve "go" timeout 40s default reject
  let v = wait signal "v" -> int
  return v + n
}`);
    const run = runIdOf(p.flow("run", "main.flow", "--arg", "n=1", "--park-after", "0s").stderr);
    expect(p.flow("keys", "init", "--name", "alice", "--trust").code).toBe(0);
    const started = Date.now();
    const approved = p.flow("approve", run, "go");
    expect(approved.code, approved.stderr).toBe(0);
    // Not held for the decided gate's timeout, 40 s away (under --park-after's 60 s).
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(approved.stderr).toContain(`run ${run} is parked at signal:v (signal "v"); `);
    expect(entries(p, run).some((e) => e.includes('"timer.fired"'))).toBe(false);
    expect(p.flow("signal", run, "v", "--data", "2").stdout).toBe("3\n");
    expect(p.flow("replay", run).code).toBe(0);
  });
});

describe("a node's gate clause", () => {
  it("holds each item's result for a decision at its own instance, named when several are open", () => {
    const p = project(reviewedItems);
    const started = p.flow("run", "main.flow", "--arg", "ns=[1,2]");
    expect(started.code, started.stderr).toBe(0);
    const run = runIdOf(started.stderr);
    // Parked as each item's result arrives: in whichever order they end.
    expect(started.stderr).toContain('draft[0] (approval "review")');
    expect(started.stderr).toContain('draft[1] (approval "review")');
    expect(p.flow("keys", "init", "--name", "alice", "--trust").code).toBe(0);
    const ambiguous = p.flow("approve", run, "review");
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/the gate "review" is open at 2 places: draft\[[01]\], draft\[[01]\]/);
    const first = p.flow("approve", run, "draft[1]");
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain(`run ${run} is parked at draft[0] (approval "review")`);
    const second = p.flow("approve", run, "draft[0]");
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual(["draft-1\n", "draft-2\n"]);
    expect(p.flow("replay", run).code).toBe(0);
  });
});

describe("timers: a gate's timeout and a sleep, fired by flow tick", () => {
  it("finds nothing due, and says so, in a project where no run was started yet (cron's first minutes); a store named that is not there is refused", () => {
    const p = project(gated(""));
    const tick = p.flow("tick");
    expect(tick).toEqual({ code: 0, stdout: "", stderr: "no parked run has a timer due\n" });
    expect(p.flow("tick", "--json")).toMatchObject({ code: 0, stdout: "[]\n" });
    const named = p.flow("tick", "--store", `sqlite:${join(p.cwd, "elsewhere.db")}`);
    expect(named.code).toBe(2);
  });

  it("a gate's timeout applies its default: approve continues the run, reject fails it", async () => {
    for (const [decision, code] of [["approve", 0], ["reject", 1]] as const) {
      const p = project(gated(`timeout 1s default ${decision}`));
      // A timeout this near is waited for in the process unless it parks at once.
      const started = p.flow("run", "main.flow", "--arg", "n=4", "--park-after", "0s");
      expect(started.code, started.stderr).toBe(0);
      const run = runIdOf(started.stderr);
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const tick = p.flow("tick");
      expect(tick.stderr).toContain(`run ${run}: a timer was due; ${decision === "approve" ? "completed" : "failed"}`);
      expect(tick.code).toBe(code);
      const kinds = entries(p, run).map((t) => (JSON.parse(t) as { kind: string }).kind);
      expect(kinds).toContain("gate.defaulted");
      expect(p.flow("replay", run).code).toBe(0);
    }
  });

  it("sleep parks the run and the process exits; flow tick continues it only once the time has come", async () => {
    const p = project(`${steps}
workflow main(n: int) -> string
  budget { compute: 1m }
  grants { proc }
{
  let p = plan(n)
  sleep 6s
  return apply(p)
}`);
    const started = p.flow("run", "main.flow", "--arg", "n=5", "--park-after", "0s");
    expect(started.code, started.stderr).toBe(0);
    const run = runIdOf(started.stderr);
    const parked = new RegExp(`run ${run} is parked until (\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z): \`flow tick\``).exec(started.stderr);
    expect(parked).not.toBeNull();
    // The sleep is long enough for the early tick to come before it ends on a loaded machine (three flow processes
    // start before it); the due tick waits for the time the run names, not for a guess of it.
    const until = Date.parse((parked as RegExpExecArray)[1] as string);
    expect(p.flow("runs").stdout).toMatch(new RegExp(`${run}  parked`));
    const early = p.flow("tick");
    expect(Date.now()).toBeLessThan(until);
    expect(early.stderr).toBe("no parked run has a timer due\n");
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, until - Date.now()) + 100));
    const due = p.flow("tick", "--json");
    expect(due.code, due.stderr).toBe(0);
    expect(JSON.parse(due.stdout)).toEqual([{ run, outcome: "completed" }]);
    expect(p.flow("status", run, "--json").stdout).toContain('"plan-5\\n applied\\n"');
    expect(p.flow("replay", run).code).toBe(0);
  });
});

describe("wait signal", () => {
  const program = (timeout: string) => `${steps}
type Review = { verdict: "approve" | "revise", notes: string }

workflow main(n: int) -> string
  budget { compute: 1m }
  grants { proc }
{
  let p = plan(n)
  let review = wait signal "review" -> Review ${timeout}
  return "\${p} \${review.verdict}: \${review.notes}"
}`;

  it("parks until flow signal delivers a value of its type; one that is not is refused, with nothing recorded", () => {
    const p = project(program("timeout 1h"));
    const started = p.flow("run", "main.flow", "--arg", "n=7");
    expect(started.code, started.stderr).toBe(0);
    const run = runIdOf(started.stderr);
    expect(started.stderr).toContain(`run ${run} is parked at signal:review (signal "review")`);
    expect(started.stderr).toContain(`\`flow signal ${run} review --data JSON\` delivers what it waits for`);
    const before = entries(p, run).length;
    const wrong = p.flow("signal", run, "review", "--data", '{"verdict":"maybe","notes":"x"}');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('flow: the value does not fit `Review`, the type of the signal "review": in it, `verdict` is "maybe", not one of "approve", "revise"\n');
    expect(p.flow("signal", run, "review", "--data", "{not json").stderr).toContain("flow: the signal's value is not JSON: at line 1, column 2: expected a string (a key), found `n`\n");
    expect(p.flow("signal", run, "other", "--data", "1").stderr).toContain(`run ${run} is not waiting at other`);
    expect(entries(p, run)).toHaveLength(before);
    const sent = p.flow("signal", run, "review", "--data", '{"verdict":"approve","notes":"ship it"}');
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toBe('"plan-7\\n approve: ship it"\n');
    expect(p.flow("replay", run).code).toBe(0);
  });

  it("fails with Timeout when no value arrives before its timeout", async () => {
    const p = project(program("timeout 1s"));
    const started = p.flow("run", "main.flow", "--arg", "n=8", "--park-after", "0s");
    const run = runIdOf(started.stderr);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const tick = p.flow("tick");
    expect(tick.code).toBe(1);
    expect(p.flow("logs", run).stdout).toContain('Timeout: no signal "review" arrived before its timeout');
    expect(p.flow("replay", run).code).toBe(0);
  });
});
