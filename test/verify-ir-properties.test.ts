import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, irFileText } from "../compiler/ir/hash.ts";
import type { JsonSchema } from "../compiler/ir/json-schema.ts";
import type { Ir } from "../compiler/ir/schema.ts";
import type { Effect } from "../compiler/ir/effect.ts";
import type { Vertex, Workflow } from "../compiler/ir/workflow.ts";
import { verifyIr } from "../compiler/verify-ir.ts";
import { render, wellTypedProgram } from "./support/arbitrary-well-typed.ts";
import { exampleFiles, irOf } from "./support/example-ir.ts";
import { repoRoot } from "./support/run-cli.ts";

/**
 * `verifyIr` (ARCHITECTURE.md, "The IR"): the IR of every example and of
 * random well-typed programs verifies clean, and random corruptions of it
 * are refused with the code that names them: an edge's type dropped, a
 * cycle added, a unit's effects widened beyond the grants, a vertex's one
 * attempt raised above the ceiling, a fan-out's bound removed, an op's
 * version changed, a vertex's unit renamed, the file's hash left stale.
 * Where a mutation may leave the IR valid (an effect the grants already
 * cover, a budget still under the ceiling), an oracle written here, apart
 * from the verifier, says which, and the verifier must agree.
 */

const runs = Number(process.env["FLOW_VERIFY_RUNS"] ?? 60);
const timeout = Math.max(60_000, runs * 1000);

/**
 * What the examples do not show: a sub-workflow, calls in an `if`
 * condition and an `approve`'s `show` (priced like any other), `sleep`, `wait signal`,
 * nested fan-outs with `limit` and `tolerate`, optionals, scoped effects,
 * linear backoff and an agent with a model the price table lacks.
 */
const constructs = `import { sh } from "std/sandbox"
import { len } from "std/list"

type Item = { name: string, tag: string? }

node probe(x: int) -> bool
  effects { proc }
  budget { compute: 1m }
{
  return sh("true", timeout: 10s).exit == 0
}

node work(item: Item, note: string?) -> int
  effects { proc, fs.read("src/**") }
  budget { compute: 2m }
  retry 2 backoff linear(5s, cap 7s)
  timeout 3m
{
  return sh("echo \${item.name}", timeout: 1m).exit
}

agent think(text: string) -> string
  models ["anthropic:claude-haiku-4-5", "acme:unknown-model"]
  effects { llm }
  timeout 5m
  prompt "Say something about \${text}"

workflow inner(items: List<Item, max 10>) -> int
  budget { compute: 1h }
  grants { proc, fs.read }
{
  let done = for i in items limit 5 tolerate 10% { work(i, null) }
  return len(done)
}

workflow outer(items: List<Item, max 10>, flag: bool?) -> int
  budget { compute: 3h, wall: 5h }
  grants { proc, fs.read, llm }
{
  if probe(1) {
    let n = inner(items)
    sleep 1m
    let grid = for a in items concurrency 2 { for b in items limit 3 { work(b, a.name) } }
    approve "go" show think("x") timeout 1h default approve
    let s = wait signal "more" -> Item timeout 2h
    let m = work(s, s.tag)
    return n + m
  } else {
    fail Transient("no probe \${len(items) as string}")
  }
  return 0
}
`;

/** The golden programs that compile (those whose expected output has no error), with the files they import. */
const goldenPrograms: readonly string[] = (readdirSync(join(repoRoot, "test/golden"), { recursive: true, encoding: "utf8" }) as string[])
  .filter((f) => f.endsWith(".flow") && !f.includes("lib/"))
  .filter((f) => !/^error\[/m.test(readFileSync(join(repoRoot, "test/golden", f.replace(/\.flow$/, ".stderr")), "utf8")))
  .sort()
  .map((f) => `test/golden/${f}`);

const examples: readonly Ir[] = [...exampleFiles.map((f) => irOf(f).ir), irOf("constructs.flow", constructs).ir];

const generated: fc.Arbitrary<Ir> = wellTypedProgram.map((program) => irOf("generated.flow", render(program).text).ir);

/** Mostly the examples (large, every construct), sometimes a random program. */
const anyIr: fc.Arbitrary<Ir> = fc.oneof({ arbitrary: fc.constantFrom(...examples), weight: 3 }, { arbitrary: generated, weight: 1 });

function codes(document: unknown): Set<string> {
  return new Set(verifyIr(document).map((p) => p.code));
}

function pick<T>(items: readonly T[], seed: number): T | undefined {
  return items.length === 0 ? undefined : items[seed % items.length];
}

function vertexPlaces(ir: Ir): { workflow: number; vertex: number }[] {
  return ir.workflows.flatMap((w, workflow) => w.vertices.map((_, vertex) => ({ workflow, vertex })));
}

/** The vertices `vertex` waits for through what it reads and the fan-outs around it, directly or not: an edge back from it to any of them closes a cycle. */
function upstream(workflow: Workflow, vertex: Vertex): Set<string> {
  const direct = (v: Vertex): string[] => {
    const found = workflow.edges.filter((e) => e.to === v.id && e.from.kind === "vertex").map((e) => (e.from as { vertex: string }).vertex);
    for (let f = v.fanOut; f !== null; ) {
      const fanOut = workflow.fanOuts.find((x) => x.id === f);
      if (fanOut === undefined) break;
      for (const r of fanOut.reads) if (r.kind === "vertex") found.push(r.vertex);
      f = fanOut.parent;
    }
    return found;
  };
  const seen = new Set<string>();
  const queue = [vertex];
  while (queue.length > 0) {
    for (const id of direct(queue.pop()!)) {
      if (seen.has(id)) continue;
      seen.add(id);
      const next = workflow.vertices.find((v) => v.id === id);
      if (next !== undefined) queue.push(next);
    }
  }
  return seen;
}

/** The rule of the brief, written plainly: an unscoped grant covers every scope, and `fs.write` covers `fs.read`. */
function granted(grants: readonly Effect[], effect: Effect): boolean {
  return grants.some((g) => (g.name === effect.name || (effect.name === "fs.read" && g.name === "fs.write")) && (g.scope === null || g.scope === effect.scope));
}

describe("verifyIr accepts what the compiler produces", () => {
  it("verifies the IR of every example (and of a program with the constructs they lack), bare and as the file `flow compile` writes", () => {
    for (const [i, ir] of examples.entries()) {
      expect(verifyIr(ir), exampleFiles[i] ?? "constructs.flow").toEqual([]);
      expect(verifyIr(JSON.parse(irFileText(ir).text)), exampleFiles[i] ?? "constructs.flow").toEqual([]);
    }
  });

  it("verifies the IR of every golden program that compiles", () => {
    expect(goldenPrograms.length).toBeGreaterThan(5);
    for (const program of goldenPrograms) expect(irOf(program).irProblems, program).toEqual([]);
  });

  it(
    "verifies the IR of random well-typed programs",
    () => {
      fc.assert(
        fc.property(wellTypedProgram, (program) => {
          const { text } = render(program);
          const { irProblems } = irOf("generated.flow", text);
          expect(irProblems.map((p) => `${p.code} ${p.message}`), text).toEqual([]);
        }),
        { numRuns: runs },
      );
    },
    timeout,
  );
});

describe("verifyIr refuses corrupted IR", () => {
  it(
    "refuses an edge whose type was dropped (FL0507), unless the argument was any value already; without `type`, FL0501",
    () => {
      fc.assert(
        fc.property(anyIr, fc.nat(), fc.boolean(), (original, seed, remove) => {
          const edges = original.workflows.flatMap((w, wi) => w.edges.map((_, ei) => [wi, ei] as const));
          const place = pick(edges, seed);
          fc.pre(place !== undefined);
          const ir = structuredClone(original);
          const workflow = ir.workflows[place![0]]!;
          const edge = workflow.edges[place![1]]!;
          if (remove) {
            delete (edge as { type?: JsonSchema }).type;
            expect(codes(ir)).toContain("FL0501");
            return;
          }
          edge.type = {};
          const arg = workflow.vertices.find((v) => v.id === edge.to)!.args.find((a) => a.param === edge.param)!;
          if (canonicalJson(arg.type) === "{}") expect(verifyIr(ir)).toEqual([]);
          else expect(codes(ir)).toContain("FL0507");
        }),
        { numRuns: runs },
      );
    },
    timeout,
  );

  it(
    "refuses an edge from a later vertex back to one it waits for (FL0506); any added edge is refused",
    () => {
      fc.assert(
        fc.property(anyIr, fc.nat(), fc.nat(), (original, seedB, seedA) => {
          const place = pick(vertexPlaces(original), seedB);
          fc.pre(place !== undefined);
          const ir = structuredClone(original);
          const workflow = ir.workflows[place!.workflow]!;
          const later = workflow.vertices[place!.vertex]!;
          const waitsFor = upstream(workflow, later);
          // Half the time one it waits for (or itself), else any vertex of the workflow.
          const candidates = seedA % 2 === 0 ? [later.id, ...waitsFor] : workflow.vertices.map((v) => v.id);
          const earlier = workflow.vertices.find((v) => v.id === pick(candidates, seedA >> 1))!;
          const arg = earlier.args[0];
          workflow.edges.push({ from: { kind: "vertex", vertex: later.id }, to: earlier.id, param: arg?.param ?? "x", type: arg?.type ?? {} });
          const found = codes(ir);
          expect(found.size).toBeGreaterThan(0);
          if (earlier.id === later.id || waitsFor.has(earlier.id)) expect(found).toContain("FL0506");
        }),
        { numRuns: runs },
      );
    },
    timeout,
  );

  it(
    "refuses a unit whose effects were widened beyond a caller's grants (FL0509), and accepts what the grants cover",
    () => {
      const effect = fc.record({
        name: fc.constantFrom("fs.read", "fs.write", "proc", "net", "llm", "clock"),
        scope: fc.option(fc.constantFrom("src/**", "registry.npmjs.org", "packages/**"), { nil: null }),
      });
      fc.assert(
        fc.property(anyIr, fc.nat(), effect, (original, seed, added) => {
          const index = seed % original.units.length;
          const ir = structuredClone(original);
          const unit = ir.units[index]!;
          // A scope only where an effect takes one.
          const widened: Effect = { name: added.name as Effect["name"], scope: ["fs.read", "fs.write", "net"].includes(added.name) ? added.scope : null };
          unit.effects.push(widened);
          const uncovered = ir.workflows.some((w) => w.vertices.some((v) => v.unit === unit.name) && !granted(w.grants, widened));
          const verifierBreach = unit.kind === "verifier" && widened.name !== "fs.read";
          const found = codes(ir);
          if (uncovered) expect(found).toContain("FL0509");
          else expect(found).not.toContain("FL0509");
          if (verifierBreach) expect(found).toContain("FL0510");
          if (!uncovered && !verifierBreach) expect(verifyIr(ir)).toEqual([]);
        }),
        { numRuns: runs },
      );
    },
    timeout,
  );

  it(
    "refuses a vertex whose one attempt was raised above its workflow's ceiling (FL0514), and not one still under it",
    () => {
      const budgeted = examples.filter((ir) => ir.workflows.some((w) => w.vertices.length > 0));
      fc.assert(
        fc.property(fc.constantFrom(...budgeted), fc.nat(), fc.double({ min: 0.05, max: 3, noNaN: true }), (original, seed, factor) => {
          const choices = original.workflows.flatMap((w, wi) =>
            w.vertices.flatMap((v, vi) =>
              (["tokens", "usd", "compute", "wall"] as const)
                .filter((u) => w.budget[u] !== null && typeof v.cost.perAttempt[u] === "number")
                .map((u) => ({ wi, vi, u })),
            ),
          );
          const choice = pick(choices, seed);
          fc.pre(choice !== undefined);
          const ir = structuredClone(original);
          const workflow = ir.workflows[choice!.wi]!;
          const vertex = workflow.vertices[choice!.vi]!;
          const ceiling = workflow.budget[choice!.u]!;
          const raised = choice!.u === "tokens" ? Math.round(ceiling * factor) : ceiling * factor;
          vertex.cost.perAttempt[choice!.u] = raised;
          if (codes(original).size === 0 && raised > ceiling) expect(codes(ir)).toContain("FL0514");
          if (raised <= ceiling) expect(codes(ir)).not.toContain("FL0514");
        }),
        { numRuns: runs },
      );
    },
    timeout,
  );

  it(
    "refuses a fan-out whose bound was removed (FL0513): no `maxItems` on its list and no `limit`",
    () => {
      fc.assert(
        fc.property(anyIr, fc.nat(), fc.boolean(), (original, seed, limitOnly) => {
          const fanOuts = original.workflows.flatMap((w, wi) => w.fanOuts.map((_, fi) => [wi, fi] as const));
          const place = pick(fanOuts, seed);
          fc.pre(place !== undefined);
          const ir = structuredClone(original);
          const fanOut = ir.workflows[place![0]]!.fanOuts[place![1]]!;
          const hadLimit = fanOut.limit !== null;
          fanOut.limit = null;
          // The list's type, written out in place, without its bound.
          let list: JsonSchema = fanOut.list;
          while (list.$ref !== undefined) list = ir.types[list.$ref.replace("#/$defs/", "")]!;
          const max = list.maxItems;
          if (limitOnly) {
            if (!hadLimit) expect(verifyIr(ir)).toEqual([]);
            else if (max === undefined || max !== fanOut.bound) expect(codes(ir)).toContain("FL0513");
            else expect(codes(ir)).not.toContain("FL0513");
            return;
          }
          const { maxItems: _dropped, ...unbounded } = list;
          fanOut.list = unbounded;
          expect(codes(ir)).toContain("FL0513");
        }),
        { numRuns: runs },
      );
    },
    timeout,
  );

  it(
    "refuses an op at a version this flow does not have (FL0511), renamed everywhere or not",
    () => {
      fc.assert(
        fc.property(anyIr, fc.nat(), fc.integer({ min: 2, max: 99 }), fc.boolean(), (original, seed, version, everywhere) => {
          const index = seed % original.ops.length;
          let ir = structuredClone(original);
          const op = ir.ops[index]!;
          op.version = version;
          if (everywhere) {
            const id = `${op.module}:${op.name}@${version}`;
            ir = JSON.parse(JSON.stringify(ir).split(JSON.stringify(op.id)).join(JSON.stringify(id))) as Ir;
          }
          expect(codes(ir)).toContain("FL0511");
        }),
        { numRuns: runs },
      );
    },
    timeout,
  );

  it(
    "refuses a vertex whose unit was renamed to one that does not exist (FL0504)",
    () => {
      fc.assert(
        fc.property(anyIr, fc.nat(), fc.stringMatching(/^[a-z_]{1,12}$/), (original, seed, name) => {
          const place = pick(vertexPlaces(original), seed);
          fc.pre(place !== undefined);
          const missing = `${name}_missing`;
          fc.pre(!original.units.some((u) => u.name === missing) && !original.workflows.some((w) => w.name === missing));
          const ir = structuredClone(original);
          ir.workflows[place!.workflow]!.vertices[place!.vertex]!.unit = missing;
          expect(codes(ir)).toContain("FL0504");
        }),
        { numRuns: runs },
      );
    },
    timeout,
  );

  it(
    "never throws on a document shuffled within the IR's shape, and points every problem into it",
    () => {
      fc.assert(
        fc.property(anyIr, fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat({ max: 3 })), { minLength: 1, maxLength: 4 }), (original, edits) => {
          const ir = structuredClone(original) as unknown;
          for (const [where, what, how] of edits) shuffle(ir, where, what, how);
          const problems = verifyIr(ir);
          for (const problem of problems) expect(resolves(ir, problem.path), `${problem.code} at ${problem.path}`).toBe(true);
        }),
        { numRuns: runs },
      );
    },
    timeout,
  );

  it("refuses a file whose IR changed after its hash was taken (FL0503)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...examples), fc.nat(), (ir, seed) => {
        const file = JSON.parse(irFileText(ir).text) as { hash: string; ir: Ir };
        const source = file.ir.sources[seed % file.ir.sources.length]!;
        source.sha256 = source.sha256.replace(/^./, (c) => (c === "0" ? "1" : "0"));
        expect([...codes(file)]).toEqual(["FL0503"]);
      }),
      { numRuns: Math.min(runs, 20) },
    );
  });
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every array and every leaf of a document, each with where it is. */
function places(document: unknown): { arrays: Json[][]; leaves: { parent: Record<string, Json> | Json[]; key: string | number; value: Json }[] } {
  const arrays: Json[][] = [];
  const leaves: { parent: Record<string, Json> | Json[]; key: string | number; value: Json }[] = [];
  const visit = (value: Json): void => {
    if (Array.isArray(value)) {
      arrays.push(value);
      value.forEach((v, i) => (typeof v === "object" && v !== null ? visit(v) : leaves.push({ parent: value, key: i, value: v })));
    } else if (typeof value === "object" && value !== null) {
      for (const [k, v] of Object.entries(value)) typeof v === "object" && v !== null ? visit(v) : leaves.push({ parent: value, key: k, value: v });
    }
  };
  visit(document as Json);
  return { arrays, leaves };
}

/**
 * One edit that keeps the document's shape, so that it gets past the schema
 * to the checks: a leaf replaced by another leaf of the same type from
 * elsewhere in the document (ids, names, numbers swapped around), or an
 * array's element removed, duplicated or moved.
 */
function shuffle(document: unknown, where: number, what: number, how: number): void {
  const { arrays, leaves } = places(document);
  if (how === 0 && leaves.length > 0) {
    const leaf = leaves[where % leaves.length]!;
    const same = leaves.filter((l) => typeof l.value === typeof leaf.value);
    (leaf.parent as Record<string | number, Json>)[leaf.key] = same[what % same.length]!.value;
    return;
  }
  const array = arrays.filter((a) => a.length > 0)[where % Math.max(1, arrays.filter((a) => a.length > 0).length)];
  if (array === undefined) return;
  const i = what % array.length;
  if (how === 1) array.splice(i, 1);
  else if (how === 2) array.splice(i, 0, structuredClone(array[i]!));
  else array.push(...array.splice(i, 1));
}

/** Whether a problem's pointer names a place in the document (or a missing member of one that is there). */
function resolves(document: unknown, pointer: string): boolean {
  if (pointer === "") return true;
  const tokens = pointer.slice(1).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
  let at: unknown = document;
  for (const [i, token] of tokens.entries()) {
    const last = i === tokens.length - 1;
    if (typeof at !== "object" || at === null) return false;
    if (!Object.hasOwn(at, token)) return last;
    at = (at as Record<string, unknown>)[token];
  }
  return true;
}
