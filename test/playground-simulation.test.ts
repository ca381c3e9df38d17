import { describe, expect, it } from "vitest";
import type { JsonSchema } from "../compiler/ir/json-schema.ts";
import { validateValue } from "../interpreter/core/validate-value.ts";
import { replayLedger } from "../interpreter/replay.ts";
import { implementations } from "../stdlib/runtime/index.ts";
import type { SimulationFrame } from "../playground/src/protocol.ts";
import { simulatedSteps } from "../playground/src/simulate/simulated-steps.ts";
import { SimulationSession } from "../playground/src/simulate/simulation-session.ts";
import { Simulation, SimulationRefused, simulatedApprover } from "../playground/src/simulate/simulation.ts";
import { demandFor, demandSchema, stepDemands } from "../playground/src/simulate/step-demands.ts";
import { syntheticValue } from "../playground/src/simulate/synthetic-value.ts";
import { exampleFiles, irOf } from "./support/example-ir.ts";

// The playground's simulator (playground/src/simulate/), in Node: the
// simulated world's answers, and whole runs of every example through the
// interpreter's core, which `flow replay` must accept as its own.

/** Simulates a workflow to its end, approving every gate and sending every signal as the page's buttons do. */
async function simulate(path: string, workflow?: string, decision: "approve" | "reject" = "approve"): Promise<Simulation> {
  const { ir } = irOf(path);
  const simulation = await Simulation.start(ir, workflow ?? ir.workflows.filter((w) => w.span.file === ir.entry).at(-1)!.name);
  for (let answers = 0; answers < 20; answers++) {
    await simulation.settle();
    const [waiting] = simulation.waiting();
    if (simulation.ended || waiting === undefined) break;
    if (waiting.kind === "signal") await simulation.signal(waiting.instance);
    else await simulation.decide(waiting.instance, decision);
  }
  return simulation;
}

const workflows = exampleFiles.flatMap((path) => {
  const { ir } = irOf(path);
  return ir.workflows.filter((w) => w.span.file === ir.entry).map((w) => [path, w.name] as const);
});

describe("the simulated world", () => {
  it("answers every std step, and runs no pure function in place of the real one", () => {
    const steps = [...implementations].filter(([, i]) => i.kind === "step").map(([op]) => op);
    expect([...simulatedSteps.keys()].sort()).toEqual(steps.sort());
  });

  it("makes up values that fit their types, the same for the same seed", () => {
    const { ir } = irOf("examples/security-backport.flow");
    for (const [name, schema] of Object.entries(ir.types)) {
      const value = syntheticValue(schema, ir.types, `seed ${name}`);
      expect(validateValue(value, schema, ir.types), name).toBeNull();
      expect(syntheticValue(schema, ir.types, `seed ${name}`)).toEqual(value);
    }
    const list: JsonSchema = { type: "array", items: { type: "string" }, maxItems: 2 };
    expect((syntheticValue(list, {}, "a") as string[]).length).toBeLessThanOrEqual(2);
    expect(syntheticValue({ anyOf: [{ type: "integer" }, { type: "null" }] }, {}, "a")).toEqual(expect.any(Number));
  });

  it("gives a command's output the shape the body converts it to, matched to the call by its arguments", () => {
    const { ir } = irOf("examples/portfolio-audit.flow");
    const isStep = (op: string) => implementations.get(op)?.kind === "step";
    const units = ir.units.map((u) => [u.name, stepDemands(u, isStep)] as const).filter(([, calls]) => calls.length > 0);
    expect(units.length).toBeGreaterThan(0);
    const osv = units
      .flatMap(([, calls]) => calls)
      .find((c) => c.matches({ command: "osv-scanner scan source --format json -r . | jq -c 'x'" }));
    expect(osv).toBeDefined();
    expect(demandFor([osv!], osv!.op, { command: "something else" })).toBeUndefined();
    const json = demandSchema(osv!.demand.fields.get("json")!);
    expect(json.type).toBe("array");
  });
});

describe("a simulated run", { timeout: 60_000 }, () => {
  it.each(workflows)("of %s (%s) ends, or says where it stopped, and replays as flow's own", async (path, workflow) => {
    const simulation = await simulate(path, workflow);
    const state = simulation.core.state;
    expect(
      simulation.ended,
      `${path} ${workflow} stopped ${state.status} waiting for ${JSON.stringify(simulation.waiting())}`,
    ).toBe(true);
    if (state.status === "failed") expect(state.failures.length).toBeGreaterThan(0);
    else expect(state.status).toBe("completed");
    const ledger = await simulation.ledger();
    expect(ledger).toEqual(simulation.sealed.map((s) => s.text));
    expect(await replayLedger(ledger)).toMatchObject({ kind: "identical", entries: ledger.length });
  });

  it("is the same ledger, byte for byte, every time", async () => {
    for (const path of ["examples/monorepo-to-turbo.flow", "examples/security-backport.flow", "examples/code-review.flow"]) {
      const [a, b] = [await simulate(path), await simulate(path)];
      expect((await a.ledger()).join("\n")).toBe((await b.ledger()).join("\n"));
    }
  });

  it("completes the examples whose bodies take made-up data at its word, and fails the others with their own checks", async () => {
    const outcomes = Object.fromEntries(
      await Promise.all(
        workflows.map(async ([path, workflow]) => [workflow, (await simulate(path, workflow)).core.state.status] as const),
      ),
    );
    expect(outcomes).toMatchObject({
      hello: "completed",
      monorepo_to_turbo: "completed",
      security_backport: "completed",
      todo_sweep: "completed",
      code_review: "completed",
    });
  });

  it("parks at a gate until it is answered, on a clock that stands still meanwhile", async () => {
    const { ir } = irOf("examples/monorepo-to-turbo.flow");
    const simulation = await Simulation.start(ir, "monorepo_to_turbo");
    await simulation.settle();
    expect(simulation.ended).toBe(false);
    const [gate] = simulation.waiting();
    expect(gate).toMatchObject({ instance: "approve:merge", kind: "approval", waitingFor: 'approval "merge"' });
    const parkedAt = simulation.now;
    expect(gate!.until).toBe(parkedAt + 7 * 24 * 3_600_000);
    expect(await simulation.next()).toBe(false);
    expect(simulation.now).toBe(parkedAt);
    await simulation.decide("approve:merge", "approve");
    await simulation.settle();
    expect(simulation.core.state.status).toBe("completed");
    const decided = simulation.sealed.find((s) => s.entry.kind === "gate.decided")!.entry;
    expect(decided).toMatchObject({ data: { decision: "approve", approver: { name: simulatedApprover } } });
  });

  it("fails at a rejected gate, and applies a gate's default when its timeout is let pass", async () => {
    const rejected = await simulate("examples/monorepo-to-turbo.flow", "monorepo_to_turbo", "reject");
    expect(rejected.core.state.failures.map((f) => f.failure.kind)).toEqual(["Rejected"]);

    const { ir } = irOf("examples/monorepo-to-turbo.flow");
    const lapsed = await Simulation.start(ir, "monorepo_to_turbo");
    await lapsed.settle();
    await lapsed.lapse("approve:merge");
    await lapsed.settle();
    expect(lapsed.core.state.failures[0]?.failure.message).toMatch(/rejected by its timeout's default/);
  });

  it("charges simulated compute, tokens and dollars against the workflow's budget", async () => {
    const simulation = await simulate("examples/monorepo-to-turbo.flow");
    const { spent, ceilings } = simulation.core.state.budget;
    expect(spent.compute).toBeGreaterThan(0);
    expect(spent.tokens).toBeGreaterThan(0);
    expect(spent.usd).toBeGreaterThan(0);
    expect(ceilings).toMatchObject({ tokens: 50_000_000, usd: 500 });
  });
});

describe("a simulation that cannot start", () => {
  it("is refused for a workflow that calls another, as flow run refuses it", async () => {
    const { ir } = irOf(
      "inline.flow",
      "workflow inner() -> int { return 1 }\nworkflow outer() -> int\n  budget { compute: 1m }\n{\n  return inner()\n}\n",
    );
    await expect(Simulation.start(ir, "outer")).rejects.toThrow(SimulationRefused);
    await expect(Simulation.start(ir, "missing")).rejects.toThrow("there is no workflow `missing`");
  });
});

describe("the worker's simulation session", () => {
  it("posts a frame per event with the nodes' states, waits at the gate for the page, and completes on its answer", async () => {
    const { ir } = irOf("examples/monorepo-to-turbo.flow");
    const frames: SimulationFrame[] = [];
    const session = await SimulationSession.open(
      7,
      ir,
      "monorepo_to_turbo",
      1,
      (f) => frames.push(f),
      async () => undefined,
    );
    await expect.poll(() => frames.at(-1)?.status).toBe("waiting");
    const atGate = frames.at(-1)!;
    expect(atGate).toMatchObject({
      id: 7,
      workflow: "monorepo_to_turbo",
      waiting: [{ instance: "approve:merge", kind: "approval", timeout: "168h" }],
    });
    expect(atGate.entries).toBeGreaterThan(20);
    expect(frames.filter((f) => f.status === "running").length).toBeGreaterThan(10);
    const states = new Map(atGate.states);
    expect([...states.values()].map((p) => p.state)).toContain("parked");
    expect([...states.values()].filter((p) => p.count !== null).map((p) => p.count)).toContain("3/3 done");
    expect(atGate.spend.find((s) => s.unit === "compute")).toMatchObject({ ceiling: "30h" });
    await session.answer({ kind: "decide", instance: "approve:merge", decision: "approve" });
    await expect.poll(() => frames.at(-1)?.status).toBe("completed");
    expect(new Set(frames.at(-1)!.states.map(([, p]) => p.state))).toEqual(new Set(["done"]));
    expect(JSON.parse(frames.at(-1)!.outcome!)).toHaveLength(3);
  });
});
