import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Sealed } from "../interpreter/core/advance.ts";
import { replayLedger } from "../interpreter/replay.ts";
import { openMemoryStore } from "../interpreter/store/memory-store.ts";
import { compileText, runProgram } from "./support/run-program.ts";

const kinds = (entries: readonly Sealed[]) => entries.map((s) => s.entry.kind + ("vertex" in s.entry ? ` ${s.entry.vertex}` : ""));

/** Runs a program, checks that its ledger replays byte for byte, and returns the run. */
async function run(source: string, workflow: string, args: Record<string, unknown> = {}, concurrency = 16) {
  const result = await runProgram(openMemoryStore(), compileText(source), workflow, args as never, concurrency);
  const verdict = await replayLedger(result.entries.map((s) => s.text));
  expect(verdict).toEqual({ kind: "identical", entries: result.entries.length, head: result.entries.at(-1)?.entry.hash, status: result.driver.core.state.status });
  return result;
}

describe("flow run: the interpreter end to end on the process sandbox", () => {
  it("runs a node's shell step and returns its output", async () => {
    const { outcome, driver, entries } = await run(
      `
import { sh } from "std/sandbox"
node greet(name: string) -> string
  effects { proc }
  budget  { compute: 10s }
{
  return sh("echo hello \${name}").stdout
}
workflow hello(name: string) -> string
  budget { compute: 1m }
  grants { proc }
{
  return greet(name)
}`,
      "hello",
      { name: "flow" },
    );
    expect(outcome).toBe("completed");
    expect(driver.core.state.result).toBe("hello flow\n");
    expect(kinds(entries)).toEqual([
      "run.started",
      "vertex.scheduled greet",
      "vertex.started greet",
      "step.completed greet",
      "vertex.completed greet",
      "run.completed",
    ]);
  });

  it("fans out with at most `concurrency` items in flight, and yields results in input order", async () => {
    const { outcome, driver, entries, workRoot } = await run(
      `
import { sh } from "std/sandbox"
node square(n: int, log: string) -> int
  effects { proc }
  budget  { compute: 10s }
{
  sh("echo start \${n as string} >> \${log}; sleep 0.0\${(9 - n) as string}; echo end \${n as string} >> \${log}")
  return n * n
}
workflow squares(log: string) -> List<int>
  budget { compute: 10m }
  grants { proc }
{
  let ns = [1, 2, 3, 4, 5, 6, 7, 8]
  return for n in ns concurrency 3 { square(n, log) }
}`,
      "squares",
      { log: "/dev/null" },
    );
    void workRoot;
    expect(outcome).toBe("completed");
    expect(driver.core.state.result).toEqual([1, 4, 9, 16, 25, 36, 49, 64]);
    // Never more than 3 scheduled and not yet finished at any point of the ledger.
    let inFlight = 0;
    let most = 0;
    for (const kind of kinds(entries)) {
      if (kind.startsWith("vertex.scheduled")) most = Math.max(most, ++inFlight);
      if (kind.startsWith("vertex.completed")) inFlight--;
    }
    expect(most).toBe(3);
  });

  it("retries a failing attempt with its backoff, recording the reason, then succeeds", async () => {
    const { outcome, driver, entries } = await run(
      `
import { sh } from "std/sandbox"
node flaky(marker: string) -> string
  effects { proc }
  budget  { compute: 10s }
  retry   2 backoff fixed(10ms) on [Transient]
{
  let r = sh("if [ -e \${marker} ]; then echo ok; else touch \${marker}; exit 3; fi")
  if r.exit != 0 {
    fail Transient("exit \${r.exit as string}")
  }
  return r.stdout
}
workflow main(marker: string) -> string
  budget { compute: 1m }
  grants { proc }
{
  return flaky(marker)
}`,
      "main",
      { marker: `/tmp/flow-flaky-${process.pid}-${Date.now()}` },
    );
    expect(outcome).toBe("completed");
    expect(driver.core.state.result).toBe("ok\n");
    const retry = entries.find((s) => s.entry.kind === "vertex.retrying")?.entry;
    expect(retry).toMatchObject({ attempt: 2, data: { reason: { kind: "Transient", message: "exit 3" }, delay: 10 } });
    expect(kinds(entries)).toContain("timer.fired");
  });

  it("skips what depends on a failed vertex while independent work goes on, then fails the run", async () => {
    const { outcome, driver, entries } = await run(
      `
import { sh } from "std/sandbox"
node broken() -> string
  effects { proc }
  budget  { compute: 10s }
{
  fail Failed("it broke")
}
node after(s: string) -> string
  effects { proc }
  budget  { compute: 10s }
{
  return s
}
node independent() -> string
  effects { proc }
  budget  { compute: 10s }
{
  return sh("echo fine").stdout
}
workflow main() -> string
  budget { compute: 1m }
  grants { proc }
{
  let a = broken()
  let b = after(a)
  let c = independent()
  return c
}`,
      "main",
    );
    expect(outcome).toBe("failed");
    expect(driver.core.state.failures).toEqual([{ at: "broken", failure: { kind: "Failed", message: "it broke" } }]);
    expect(kinds(entries)).toContain("vertex.skipped after");
    expect(kinds(entries)).toContain("vertex.completed independent");
  });

  const tolerant = (tolerate: string) => `
node check(n: int) -> int
  budget  { compute: 10s }
{
  if n > 3 {
    fail Failed("too big: \${n as string}")
  }
  return n * 10
}
workflow main(ns: List<int, max 10>) -> List<int>
  budget { compute: 1m }
  grants { }
{
  return for n in ns concurrency 2 tolerate ${tolerate} { check(n) }
}`;

  it("drops failed items of a fan-out with `tolerate`, recording each, and keeps the rest in order", async () => {
    const { outcome, driver, entries } = await run(tolerant("2"), "main", { ns: [1, 5, 2, 6, 3] });
    expect(outcome).toBe("completed");
    expect(driver.core.state.result).toEqual([10, 20, 30]);
    const dropped = entries.filter((s) => s.entry.kind === "fanout.dropped").map((s) => s.entry.data);
    expect(dropped).toEqual([
      { instance: "n", item: 1, failure: { kind: "Failed", message: "too big: 5" } },
      { instance: "n", item: 3, failure: { kind: "Failed", message: "too big: 6" } },
    ]);
  });

  it("fails the fan-out, and the run, when more items fail than `tolerate` allows", async () => {
    const { outcome, driver } = await run(tolerant("20%"), "main", { ns: [1, 5, 2, 6, 3] });
    expect(outcome).toBe("failed");
    expect(driver.core.state.failures.at(-1)).toEqual({ at: "n", failure: { kind: "Failed", message: "2 of 5 items failed, more than `tolerate` allows (1)" } });
  });

  it("passes a verify barrier that holds and fails the run with its message when it does not", async () => {
    const program = `
import { all } from "std/list"
node double(n: int) -> int
  budget { compute: 1s }
{
  return n * 2
}
verifier small(ns: List<int>) -> bool {
  return all(ns, n => n < 10)
}
workflow main(ns: List<int, max 10>) -> List<int>
  budget { compute: 1m }
  grants { }
{
  let doubled = for n in ns { double(n) }
  verify small(doubled) else "a doubled number is 10 or more"
  return doubled
}`;
    const held = await run(program, "main", { ns: [1, 2, 3] });
    expect(held.outcome).toBe("completed");
    expect(kinds(held.entries)).toContain("barrier.passed");
    const broken = await run(program, "main", { ns: [1, 7] });
    expect(broken.outcome).toBe("failed");
    expect(broken.driver.core.state.failures).toEqual([{ at: "verify:small", failure: { kind: "Failed", message: "a doubled number is 10 or more" } }]);
  });

  it("sleeps on a durable timer, takes the branch its condition picks, and nests fan-outs", async () => {
    const { outcome, driver, entries } = await run(
      `
import { len } from "std/list"
node pair(a: int, b: int) -> int
  budget { compute: 1s }
{
  return a * 10 + b
}
node note(s: string) -> string
  budget { compute: 1s }
{
  return s
}
workflow main(xs: List<int, max 3>) -> List<List<int>>
  budget { compute: 1m }
  grants { }
{
  let grid = for a in xs concurrency 2 { for b in xs { pair(a, b) } }
  sleep 20ms
  if len(grid) > 2 {
    note("big")
  } else {
    note("small")
  }
  return grid
}`,
      "main",
      { xs: [1, 2, 3] },
    );
    expect(outcome).toBe("completed");
    expect(driver.core.state.result).toEqual([
      [11, 12, 13],
      [21, 22, 23],
      [31, 32, 33],
    ]);
    expect(kinds(entries)).toEqual(expect.arrayContaining(["timer.set", "timer.fired", "barrier.passed", "vertex.completed note"]));
    expect(entries.find((s) => s.entry.kind === "vertex.scheduled" && s.entry.vertex === "note")?.entry).toMatchObject({ data: { args: { s: "big" } } });
  });
});

describe("conversions when they run", () => {
  const converting = (body: string, result: string) => `
import { parse } from "std/json"
node convert(text: string, x: float) -> ${result}
  budget { compute: 1s }
{
  ${body}
}
workflow main(text: string, x: float) -> ${result}
  budget { compute: 1m }
  grants { }
{
  return convert(text, x)
}`;

  it("divides two ints to an int, rounding toward zero, and anything else to a float", async () => {
    const ints = await run(converting("return (0 - 7) / 2", "int"), "main", { text: "", x: 0 });
    expect(ints.driver.core.state.result).toBe(-3);
    const floats = await run(converting("return x / 2", "float"), "main", { text: "", x: 7 });
    expect(floats.driver.core.state.result).toBe(3.5);
  });

  it("converts text to a number, and a whole float to an int", async () => {
    expect((await run(converting("return text as int", "int"), "main", { text: "42", x: 0 })).driver.core.state.result).toBe(42);
    expect((await run(converting("return x as int", "int"), "main", { text: "", x: 2 })).driver.core.state.result).toBe(2);
  });

  it("fails the body with InvalidOutput when a value does not convert", async () => {
    const fraction = await run(converting("return x as int", "int"), "main", { text: "", x: 2.5 });
    expect(fraction.driver.core.state.failures[0]?.failure).toMatchObject({ kind: "InvalidOutput", message: expect.stringContaining("cannot convert the number 2.5 to a whole number") });
    const words = await run(converting("return text as int", "int"), "main", { text: "forty", x: 0 });
    expect(words.driver.core.state.failures[0]?.failure.kind).toBe("InvalidOutput");
  });

  it("validates a json value against the type rather than converting it: the JSON string \"3\" is not an int", async () => {
    const json = await run(converting("return parse(text) as int", "int"), "main", { text: '"3"', x: 0 });
    expect(json.driver.core.state.failures[0]?.failure).toMatchObject({ kind: "InvalidOutput", message: expect.stringContaining("not a whole number") });
    expect((await run(converting("return parse(text) as int", "int"), "main", { text: "3", x: 0 })).driver.core.state.result).toBe(3);
  });
});

describe("checkpoints", () => {
  it("retries from the last checkpoint: the steps before it are not run again, and the tree is as it was there", async () => {
    const log = `/tmp/flow-checkpoint-${process.pid}-${Date.now()}`;
    const { outcome, driver, entries } = await run(
      `
import { sh } from "std/sandbox"
node build(log: string) -> string
  effects { fs.write, proc }
  budget  { compute: 10s }
  retry   1 on [Transient]
{
  sh("echo clone >> \${log}; echo cloned > before.txt")
  checkpoint "cloned"
  let r = sh("echo test >> \${log}; ls; echo dirty > after.txt; [ -e \${log}.second ] || { touch \${log}.second; exit 1; }")
  if r.exit != 0 {
    fail Transient("flaky test")
  }
  return r.stdout
}
workflow main(log: string) -> string
  budget { compute: 1m }
  grants { fs.write, proc }
{
  return build(log)
}`,
      "main",
      { log },
    );
    expect(outcome).toBe("completed");
    // The second attempt listed the tree as the checkpoint left it: before.txt, without the first attempt's after.txt.
    expect(driver.core.state.result).toBe("before.txt\n");
    expect(readFileSync(log, "utf8")).toBe("clone\ntest\ntest\n");
    // Attempt 2 ran only the step after the checkpoint (index 1); the clone (index 0) came from attempt 1's journal.
    const steps = entries.flatMap((s) => (s.entry.kind === "step.completed" ? [[s.entry.attempt, s.entry.data.index]] : []));
    expect(steps).toEqual([
      [1, 0],
      [1, 1],
      [2, 1],
    ]);
  });
});

describe("flow replay", () => {
  it("reports a changed byte as tampering, with the seq where the chain breaks", async () => {
    const { entries } = await run(
      `
node one() -> int
  budget { compute: 1s }
{
  return 1
}
workflow main() -> int
  budget { compute: 1m }
  grants { }
{
  return one()
}`,
      "main",
    );
    const texts = entries.map((s) => s.text);
    texts[3] = (texts[3] as string).replace('"result":1', '"result":2');
    expect(await replayLedger(texts)).toMatchObject({ kind: "tampered", seq: 3 });
  });
});
