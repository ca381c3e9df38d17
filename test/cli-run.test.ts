import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bwrapWorks } from "../interpreter/sandbox/bwrap/bwrap.ts";
import { repoRoot, runFlow } from "./support/run-cli.ts";

/** `flow run` and the commands around a run, as a user types them, on the default store (`.flow/flow.db` in the directory). */

function project(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "flow-run-cli-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const example = (name: string) => join(repoRoot, "examples", name);

const runIdOf = (stderr: string) => /^run (\d{8}-\d{6}-[0-9a-f]{6})/m.exec(stderr)?.[1] ?? "";

describe("flow run", () => {
  it("runs examples/hello.flow on the default SQLite store: the result on stdout, progress on stderr", () => {
    const cwd = project();
    const result = runFlow(["run", example("hello.flow")], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('"hello\\n"\n');
    expect(result.stderr).toMatch(/^run \d{8}-\d{6}-[0-9a-f]{6}: hello \(/);
    expect(result.stderr).toContain("greet completed");
    expect(result.stderr).toMatch(/completed \(6 entries\)\n$/);
    const runs = runFlow(["runs"], { cwd });
    expect(runs.stdout).toMatch(/^RUN +STATUS +WORKFLOW/);
    expect(runs.stdout).toContain(`${runIdOf(result.stderr)}  completed  hello`);
  });

  it("runs the sweep of this repository end to end, and status, logs, export and replay read it back", () => {
    // The repository lies outside the project: its default profile shares it with the sandboxes, read-only.
    const cwd = project({ "flow.config.json": JSON.stringify({ sandbox: { profiles: { default: { share: [repoRoot] } } } }) });
    const result = runFlow(["run", example("todo-sweep.flow"), "--arg", `repo=file://${repoRoot}`], { cwd });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(bwrapWorks() ? /^sandbox: bwrap \(isolation Linux namespaces/m : /^sandbox: process \(isolation none/m);
    const sweep = JSON.parse(result.stdout) as { dirs: number; files: number; busiest: unknown[] };
    expect(sweep.dirs).toBeGreaterThan(5);
    expect(sweep.files).toBeGreaterThan(100);
    expect(sweep.busiest.length).toBeLessThanOrEqual(3);
    const id = runIdOf(result.stderr);

    const status = runFlow(["status", id.slice(0, 15)], { cwd });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^run +${id} +completed\\n`));
    expect(status.stdout).toMatch(/^vertices +\d+ completed\n/m);

    const logs = runFlow(["logs", id], { cwd });
    expect(logs.stdout).toMatch(/^ +0 +\d\d:\d\d:\d\d\.\d{3} +run started: todo_sweep\(repo: "file:/m);
    expect(logs.stdout).toContain('checkpoint "cloned"');
    expect(logs.stdout).toMatch(/list_dirs started in (bwrap|process) \(profile default; fs\.write, proc\)/);
    expect(logs.stdout).toContain("verify:markers_real passed");

    const replay = runFlow(["replay", id], { cwd });
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/^identical: \d+ entries of run .* replayed byte for byte in [\d.]+ s, head [0-9a-f]{64}\n$/);

    // On a machine that never saw the run: the exported ledger alone.
    const ledger = join(cwd, "run.ledger");
    expect(runFlow(["export", id, "-o", ledger], { cwd }).code).toBe(0);
    const elsewhere = project();
    const fresh = runFlow(["replay", ledger], { cwd: elsewhere });
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toContain("identical:");
    // A changed byte is tampering, reported at its entry.
    const lines = readFileSync(ledger, "utf8").split("\n");
    const step = lines.findIndex((line) => line.includes('"kind":"step.completed"'));
    lines[step] = (lines[step] as string).replace('"exit":0', '"exit":1');
    writeFileSync(ledger, lines.join("\n"));
    const tampered = runFlow(["replay", ledger], { cwd: elsewhere });
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toBe(`tampered: entry ${step} does not match its hash (it was changed); nothing after entry ${step - 1} can be trusted\n`);
  });

  it("checks the arguments against the workflow's parameters before anything is recorded", () => {
    const cwd = project();
    const missing = runFlow(["run", example("todo-sweep.flow")], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("flow: missing the argument `repo` of `todo_sweep`\ngive it with `--arg repo=…`; `todo_sweep` takes repo: string\n");
    // Each parameter with its type as written, a list or union written in place too (the IR names those after the workflow).
    writeFileSync(
      join(cwd, "typed.flow"),
      'type Cfg = { name: string }\nworkflow w(n: int, label: string?, cfg: Cfg, mode: "fast" | "slow", xs: List<float, max 3>) -> int {\n  return n\n}\n',
    );
    expect(runFlow(["run", "typed.flow", "--arg", "m=1"], { cwd }).stderr).toBe(
      'flow: `w` has no parameter `m`\n`w` takes n: int, label: string?, cfg: Cfg, mode: "fast" | "slow", xs: List<float, max 3>\n',
    );
    // A value that does not fit: the type it should have, and what in it is wrong.
    expect(runFlow(["run", "typed.flow", "--arg", "n=1", "--arg", 'cfg={"name":1}', "--arg", "mode=fast", "--arg", "xs=[]"], { cwd }).stderr).toMatch(
      /^flow: the argument `cfg` does not fit `Cfg`: in it, `name` is the number 1, not a string\n/,
    );
    expect(runFlow(["run", "typed.flow", "--arg", 'n="1"', "--arg", 'cfg={"name":"a"}', "--arg", "mode=fast", "--arg", "xs=[]"], { cwd }).stderr).toMatch(
      /^flow: the argument `n` does not fit `int`: it is the string "1", not a whole number\n/,
    );
    const unknown = runFlow(["run", example("todo-sweep.flow"), "--arg", "rpo=x"], { cwd });
    expect(unknown.stderr).toContain("flow: `todo_sweep` has no parameter `rpo`");
    const twice = runFlow(["run", example("todo-sweep.flow"), "--arg", "repo=a", "--arg", "repo=b"], { cwd });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toBe("flow: `--arg repo=…` is given twice\ngive each argument once\n");
    const runs = runFlow(["runs"], { cwd });
    expect(runs.stderr).toBe("no runs yet: `flow run FILE` starts one\n");
  });

  it("refuses, before recording anything, a run whose agents' provider has no key in the environment", () => {
    const cwd = project();
    const result = runFlow(["run", example("monorepo-to-turbo.flow"), "--arg", "repo=x"], { cwd, env: { ANTHROPIC_API_KEY: "" } });
    expect(result.code).toBe(2);
    expect(result.stderr.endsWith(
      "flow: the model `anthropic:claude-opus-4-7` needs an API key in the environment variable ANTHROPIC_API_KEY, which is not set\nexport ANTHROPIC_API_KEY=…, or run offline with `--script FILE` (the scripted provider)\n",
    )).toBe(true);
    expect(runFlow(["runs"], { cwd }).stderr).toBe("no runs yet: `flow run FILE` starts one\n");
  });

  it("names the workflows when a file has several and none is given, and reports a compile error as check does", () => {
    const cwd = project({
      "two.flow": "workflow a() -> int\n  budget { compute: 1m }\n{\n  return 1\n}\n\nworkflow b() -> int\n  budget { compute: 1m }\n{\n  return 2\n}\n",
      "bad.flow": 'workflow a() -> int {\n  return "x"\n}\n',
    });
    const two = runFlow(["run", "two.flow"], { cwd });
    expect(two.code).toBe(2);
    expect(two.stderr).toContain("flow: `two.flow` declares 2 workflows: name the one to run\nflow run two.flow a (or: b)");
    expect(runFlow(["run", "two.flow", "b"], { cwd }).stdout).toBe("2\n");
    const bad = runFlow(["run", "bad.flow"], { cwd });
    expect(bad.code).toBe(65);
    expect(bad.stderr).toContain("error[FL0210]");
  });

  it("refuses, before recording anything, a node whose sandbox profile the project does not define, or a bad profile", () => {
    const flow = 'import { sh } from "std/sandbox"\n\nnode n() -> int\n  effects { proc }\n  budget { compute: 1s }\n  sandbox "gpu"\n{\n  return sh("true").exit\n}\n\nworkflow w() -> int\n  budget { compute: 1m }\n  grants { proc }\n{\n  return n()\n}\n';
    const cwd = project({ "gpu.flow": flow });
    const missing = runFlow(["run", "gpu.flow"], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('flow: `n` asks for sandbox profile "gpu", which the project does not define\ndefine profiles under `sandbox.profiles` in flow.config.json\n');
    expect(runFlow(["runs"], { cwd }).stderr).toBe("no runs yet: `flow run FILE` starts one\n");

    writeFileSync(join(cwd, "flow.config.json"), JSON.stringify({ sandbox: { profiles: { gpu: { driver: "process", memoryMb: 4 } } } }));
    const bad = runFlow(["run", "gpu.flow"], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^flow: flow.config.json: sandbox.profiles.gpu.memoryMb: .*16/);

    writeFileSync(join(cwd, "flow.config.json"), JSON.stringify({ sandbox: { profiles: { gpu: { driver: "process" } } } }));
    const ran = runFlow(["run", "gpu.flow"], { cwd });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toContain("sandbox: process (isolation none: commands run unconfined, as this user; effects are checked, not enforced)");
  });

  it("makes a store only to start a run: looking in a directory leaves nothing there, and a store named that is not there is refused", () => {
    const cwd = project();
    const runs = runFlow(["runs"], { cwd });
    expect(runs.code).toBe(0);
    expect(runs.stderr).toBe("no runs yet: `flow run FILE` starts one\n");
    expect(runFlow(["runs", "--json"], { cwd }).stdout).toBe("[]\n");
    const status = runFlow(["status", "20261122"], { cwd });
    expect(status.code).toBe(2);
    expect(status.stderr).toBe("flow: there is no store here (.flow/flow.db): no run has been started in this directory\n`flow run FILE` starts a run and makes the store; `--store` names another\n");
    for (const args of [["logs", "x"], ["export", "x"], ["replay", "x"]]) expect(runFlow(args, { cwd }).code, args.join(" ")).toBe(2);
    // From cron before any run was started: nothing is due.
    expect(runFlow(["tick"], { cwd })).toMatchObject({ code: 0, stderr: "no parked run has a timer due\n" });
    expect(existsSync(join(cwd, ".flow"))).toBe(false);
    // A mistyped path is not an empty store, and is not made.
    const missing = join(cwd, "stores", "flow.db");
    const named = runFlow(["runs", "--store", `sqlite:${missing}`], { cwd });
    expect(named.code).toBe(2);
    expect(named.stderr).toContain(`flow: there is no store at \`${missing}\`\n`);
    expect(existsSync(join(cwd, "stores"))).toBe(false);
  });

  it("reports a failed run with exit 1 and each failure", () => {
    const cwd = project({
      "fails.flow": 'node boom() -> int\n  budget { compute: 1s }\n{\n  fail Failed("no luck")\n}\n\nworkflow w() -> int\n  budget { compute: 1m }\n{\n  return boom()\n}\n',
    });
    const result = runFlow(["run", "fails.flow"], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("  boom: Failed: no luck\n");
    expect(result.stderr).toMatch(/run \S+ failed; `flow logs \S+` shows what happened\n$/);
  });

  it("says which attempt a retry will be, after a delay written as a program writes it", () => {
    const cwd = project({
      "retries.flow": 'node boom() -> int\n  budget { compute: 1s }\n  retry 1 backoff fixed(1500ms) on [Failed]\n{\n  fail Failed("no luck")\n}\n\nworkflow w() -> int\n  budget { compute: 1m }\n{\n  return boom()\n}\n',
    });
    const result = runFlow(["run", "retries.flow"], { cwd });
    expect(result.code).toBe(1);
    expect(runFlow(["logs", runIdOf(result.stderr)], { cwd }).stdout).toContain("  boom will retry after 1.5s as attempt 2 (Failed: no luck)\n");
  });

  it("says a node's timeout as the program wrote it when it ends an attempt", () => {
    const cwd = project({
      "slow.flow":
        'import { sh } from "std/sandbox"\n\nnode slow() -> int\n  effects { proc }\n  budget { compute: 10s }\n  timeout 1s\n{\n  sh("sleep 5", timeout: 10s)\n  return 1\n}\n\nworkflow w() -> int\n  budget { compute: 1m }\n  grants { proc }\n{\n  return slow()\n}\n',
    });
    const result = runFlow(["run", "slow.flow"], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("  slow: Timeout: `slow` did not finish within its timeout of 1s\n");
  });

  it("shows what a run records as it starts below its header, not above it", () => {
    const cwd = project({ "wait.flow": 'workflow w() -> int {\n  let v = wait signal "go" -> int timeout 1h\n  return v\n}\n' });
    const result = runFlow(["run", "wait.flow"], { cwd });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^run \S+: w \(wait\.flow\)\nparked at signal:go, waiting for signal "go"\n/);
    // So does a command that takes a run over: what it says first, then the takeover and what follows.
    const run = runIdOf(result.stderr);
    const signalled = runFlow(["signal", run, "go", "--data", "7"], { cwd });
    expect(signalled.code, signalled.stderr).toBe(0);
    expect(signalled.stderr).toMatch(new RegExp(`^run ${run}: signal "go" delivered at signal:go\\nrun resumed by `));
  });

  it("says in words why a file, an argument file or a store cannot be read, and which store", () => {
    const cwd = project({ "ok.flow": "workflow w() -> int {\n  return 1\n}\n" });
    expect(runFlow(["run", "nope.flow"], { cwd }).stderr).toBe("flow: cannot read `nope.flow`: no such file or directory\n");
    expect(runFlow(["run", "ok.flow", "--args", "nope.json"], { cwd }).stderr).toBe("flow: cannot read `nope.json`: no such file or directory\n");
    expect(runFlow(["receipt", "--verify", "nope.json"], { cwd }).stderr).toBe("flow: cannot read `nope.json`: no such file or directory\n");
    // JSON that is not: where it stops, in one line each, the same words wherever it was given.
    writeFileSync(join(cwd, "args.json"), '{"n": [1,}\n');
    writeFileSync(join(cwd, "num.flow"), "workflow w(n: List<int, max 3>) -> int {\n  return 1\n}\n");
    const hint = "\na string parameter takes its text as it is; any other takes JSON\n";
    expect(runFlow(["run", "num.flow", "--args", "args.json"], { cwd }).stderr).toBe(`flow: args.json:1:10: not JSON: expected a value, found \`}\`${hint}`);
    expect(runFlow(["run", "num.flow", "--arg", "n=[1,"], { cwd }).stderr).toBe(`flow: --arg n is not JSON: at line 1, column 4: expected a value, found the end of the text${hint}`);
    writeFileSync(join(cwd, "w.ir.json"), "{\n");
    expect(runFlow(["run", "w.ir.json"], { cwd }).stderr).toMatch(/^flow: w\.ir\.json:2:1: not JSON: expected a string \(a key\), found the end of the text\n/);
    const store = runFlow(["runs", "--store", `sqlite:${cwd}`], { cwd });
    expect(store.code).toBe(2);
    expect(store.stderr).toMatch(new RegExp(`^flow: cannot open the store sqlite:${cwd}: `));
    const postgres = runFlow(["runs", "--store", "postgres://flow:hunter2@127.0.0.1:1/flow"], { cwd });
    expect(postgres.code).toBe(2);
    expect(postgres.stderr).toMatch(/^flow: cannot open the store postgres:\/\/flow:\*\*\*@127\.0\.0\.1:1\/flow: /);
    expect(runFlow(["runs"], { cwd, env: { FLOW_STORE: "bogus" } }).stderr).toMatch(/^flow: unknown store "bogus" \(from FLOW_STORE\);/);
  });

  it("says in words why a file it is told to write cannot be written", () => {
    const cwd = project({ "ok.flow": "workflow w() -> int {\n  return 1\n}\n" });
    const run = runIdOf(runFlow(["run", "ok.flow"], { cwd }).stderr);
    for (const args of [["export", run, "-o"], ["receipt", run, "-o"], ["compile", "ok.flow", "-o"]]) {
      // `flow receipt` makes the directories it writes in.
      if (args[0] !== "receipt") {
        const missing = runFlow([...args, "no/such/dir/out"], { cwd });
        expect(missing.code, args[0]).toBe(2);
        expect(missing.stderr, args[0]).toBe("flow: cannot write `no/such/dir/out`: its directory does not exist\n");
      }
      const under = runFlow([...args, "ok.flow/out"], { cwd });
      expect(under.code, args[0]).toBe(2);
      expect(under.stderr, args[0]).toBe("flow: cannot write `ok.flow/out`: a part of its path is not a directory\n");
    }
  });

  it("says a ledger given to `flow run` is one, and that `flow replay` takes it", () => {
    const cwd = project({ "ok.flow": "workflow w() -> int {\n  return 1\n}\n" });
    const run = runIdOf(runFlow(["run", "ok.flow"], { cwd }).stderr);
    expect(runFlow(["export", run, "-o", "run.ledger"], { cwd }).code).toBe(0);
    const result = runFlow(["run", "run.ledger"], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "flow: `run.ledger` is a run's ledger, not a program\n`flow replay run.ledger` runs it again from its ledger; `flow run` takes a .flow file, or the IR `flow compile -o` writes\n",
    );
  });

  it("takes a whole number above 0 for `flow runs --limit`", () => {
    const cwd = project({ "ok.flow": "workflow w() -> int {\n  return 1\n}\n" });
    expect(runFlow(["run", "ok.flow"], { cwd }).code).toBe(0);
    for (const limit of ["abc", "0", "-1", "1.5"]) {
      const result = runFlow(["runs", "--limit", limit], { cwd });
      expect(result.code, limit).toBe(2);
      expect(result.stderr).toBe("flow: `--limit` takes a whole number above 0\n");
    }
    expect(runFlow(["runs", "--limit", "1"], { cwd }).stdout).toMatch(/^RUN .*\n\S+ +completed +w /);
  });

  it("says which runs a prefix names, and when it names none", () => {
    const cwd = project();
    expect(runFlow(["run", example("hello.flow")], { cwd }).code).toBe(0);
    const none = runFlow(["status", "2099"], { cwd });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("flow: no run `2099` in this project's store");
  });
});
