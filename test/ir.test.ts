import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { compile } from "../compiler/compile-ir.ts";
import { canonicalJson, irFileText, irHash, sha256Hex } from "../compiler/ir/hash.ts";
import { irJsonSchema } from "../compiler/ir/ir-json-schema.ts";
import { Ir, IrFile } from "../compiler/ir/schema.ts";
import { schemaWithDefs } from "../compiler/ir/type-refs.ts";
import { verifyIr } from "../compiler/verify-ir.ts";
import type { Source, Workflow } from "../compiler/ir/workflow.ts";
import type { ModuleHost } from "../compiler/modules.ts";
import { SourceFile } from "../language/source-file.ts";
import { repoRoot } from "./support/run-cli.ts";

/** The IR: its schema, generated and committed; every example's IR valid under it; what lowering decides. */

const committedSchema = readFileSync(join(repoRoot, "ir.schema.json"), "utf8");
const files: ModuleHost = { readFile: (path) => readFileSync(join(repoRoot, path), "utf8") };
const examples = readdirSync(join(repoRoot, "examples"))
  .filter((f) => f.endsWith(".flow"))
  .sort()
  .map((f) => `examples/${f}`);

function irOf(path: string, text = readFileSync(join(repoRoot, path), "utf8"), host: ModuleHost = files): Ir {
  const result = compile(new SourceFile(path, text), host);
  const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`);
  expect(errors).toEqual([]);
  return result.ir!;
}

function program(text: string, more: Record<string, string> = {}): Ir {
  const host: ModuleHost = { readFile: (path) => more[path] };
  return irOf("main.flow", text, host);
}

function sourceName(source: Source): string {
  switch (source.kind) {
    case "param":
      return source.name;
    case "vertex":
      return source.vertex;
    case "fanOut":
    case "item":
      return source.for;
    case "signal":
      return source.barrier;
    case "let":
      return source.let;
  }
}

function workflow(ir: Ir, name: string): Workflow {
  return ir.workflows.find((w) => w.name === name)!;
}

describe("ir.schema.json", () => {
  it("is what the zod schemas give (run `npm run ir:schema` after changing them)", () => {
    expect(committedSchema).toBe(irJsonSchema());
  });

  it("is a JSON Schema 2020-12 that Ajv compiles in strict mode", () => {
    expect(JSON.parse(committedSchema).$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(() => new Ajv2020({ strict: true }).compile(JSON.parse(committedSchema))).not.toThrow();
  });
});

describe("the IR of every example", () => {
  const validate = new Ajv2020({ strict: true, allErrors: true }).compile(JSON.parse(committedSchema));
  for (const example of examples) {
    it(`${example} is valid under ir.schema.json and the zod schemas, and its hash is sha256 of its canonical JSON`, () => {
      const ir = irOf(example);
      const { text, hash } = irFileText(ir);
      const written = JSON.parse(text);
      expect(validate(written), JSON.stringify(validate.errors?.slice(0, 5), null, 2)).toBe(true);
      expect(IrFile.safeParse(written).success).toBe(true);
      expect(hash).toBe(sha256Hex(canonicalJson(written.ir)));
      expect(hash).toBe(irHash(Ir.parse(written.ir)));
      // Canonical: writing what was read gives the same bytes.
      expect(`${canonicalJson(written)}\n`).toBe(text);
    });

    it(`${example}: every type is a schema a validator compiles, with the IR's types as $defs`, () => {
      const ir = irOf(example);
      for (const schema of Object.values(ir.types))
        expect(() => new Ajv2020({ strict: true }).compile(schemaWithDefs(schema, ir.types))).not.toThrow();
    });
  }

  it("validates values against the types: a Package fits, a record missing a field does not", () => {
    const ir = irOf("examples/monorepo-to-turbo.flow");
    const ajv = new Ajv2020({ strict: true });
    const packages = ajv.compile(schemaWithDefs(ir.units.find((u) => u.name === "list_packages")!.result, ir.types));
    expect(packages([{ name: "web", path: "packages/web" }])).toBe(true);
    expect(packages([{ name: "web" }])).toBe(false);
    expect(packages(Array.from({ length: 201 }, () => ({ name: "a", path: "b" })))).toBe(false);
  });
});

describe("lowering", () => {
  it("names files relative to the entry's directory, whatever directory it was compiled from", () => {
    const a = irOf("examples/security-backport.flow");
    const text = readFileSync(join(repoRoot, "examples/security-backport.flow"), "utf8");
    const b = irOf("/elsewhere/security-backport.flow", text, {
      readFile: (path) => files.readFile(path.replace("/elsewhere/", "examples/")),
    });
    expect(a.entry).toBe("security-backport.flow");
    expect(a.sources.map((s) => s.path)).toEqual(["security-backport.flow", "shared/releases.flow"]);
    expect(a.sources[0]!.sha256).toBe(sha256Hex(text));
    expect(irHash(b)).toBe(irHash(a));
    expect(JSON.stringify(a)).not.toContain("examples/");
  });

  it("prices every vertex and carries the workflow's verdicts with their derivations", () => {
    const w = workflow(irOf("examples/monorepo-to-turbo.flow"), "monorepo_to_turbo");
    expect(w.vertices.map((v) => [v.id, v.kind, v.fanOut, v.cost?.multiplier, v.cost?.attempts])).toEqual([
      ["list_packages", "node", null, 1, 1],
      ["migrate_package", "node", "pkg", 200, 4],
      ["review", "agent", "m", 200, 1],
      ["coverage_kept", "verifier", null, 1, 1],
    ]);
    const compute = w.cost.verdicts.find((v) => v.unit === "compute")!;
    expect(compute).toMatchObject({ verdict: "may exceed", ceiling: 30 * 3_600_000, worst: 5_760_300_000 });
    expect(compute.derivation).toContain("migrate_package: 200 pkgs × 4 attempts × 2h = 1600h");
    expect(w.cost.worst.wall).toMatchObject({ kind: "unbounded", cause: { what: "the agent `review` has no `timeout`" } });
    expect(w.cost.verdicts.map((v) => v.unit)).toEqual(["tokens", "usd", "compute"]);
  });

  it("prices a call wherever it stands: an `if` condition before either branch, a `fail` message, a barrier's expressions", () => {
    const ir = program(`import { sh } from "std/sandbox"
node probe(x: int) -> bool
  effects { proc }
  budget { compute: 1h }
  timeout 1h
{
  return sh("true", timeout: 1h).exit == 0
}
node work(x: int) -> string
  effects { proc }
  budget { compute: 2h }
  timeout 2h
{
  return sh("make", timeout: 2h).stdout
}
verifier ok(s: string) -> bool { return s != "" }
workflow main(n: int) -> string
  budget { compute: 4h }
  grants { proc }
{
  if probe(n) {
    let out = work(n)
    verify ok(out) else work(n + 1)
    return out
  }
  if n > 1 {
    fail Failed(work(n + 2))
  }
  approve "go" show work(n + 3) timeout 1h
  return "none"
}
`);
    const w = workflow(ir, "main");
    expect(w.vertices.map((v) => [v.id, v.cost.perAttempt.compute])).toEqual([
      ["probe", 3_600_000],
      ["work", 7_200_000],
      ["ok", 0],
      ["work#2", 7_200_000],
      ["work#3", 7_200_000],
      ["work#4", 7_200_000],
    ]);
    // 1h for the condition, then the dearer branch (2h + 2h for the `verify` message), then 2h for the
    // `fail` message and 2h for the `show`: 9h of compute, over the 4h ceiling.
    expect(w.cost.worst.compute).toBe(9 * 3_600_000);
    expect(w.cost.verdicts).toMatchObject([{ unit: "compute", verdict: "may exceed", worst: 9 * 3_600_000 }]);
    // On the critical path the condition precedes the branches (1h + 2h + 2h), and the `show` (2h) the
    // approval's hour; the `fail` message reads nothing the first `if` makes, so it runs beside it. Then the run's
    // 16 slots share the vertices' own time, as the compute's 9h (one attempt each, an attempt's wall its timeout).
    expect(w.cost.worst.wall).toBe(8 * 3_600_000 + (9 * 3_600_000) / 16);
    expect(verifyIr(ir)).toEqual([]);

    // The verifier recomputes them: a worst case that leaves out the condition's call is refused.
    const unpriced = structuredClone(ir);
    workflow(unpriced, "main").cost.worst.compute = 8 * 3_600_000;
    expect(verifyIr(unpriced).map((p) => [p.code, p.path])).toEqual([["FL0515", "/workflows/0/cost/worst/compute"]]);
  });

  it("gives edges from parameters, vertices, fan-outs and items, typed with the value that crosses", () => {
    const w = workflow(irOf("examples/monorepo-to-turbo.flow"), "monorepo_to_turbo");
    expect(w.edges.map((e) => `${e.from.kind}:${sourceName(e.from)} → ${e.to}.${e.param}`)).toEqual([
      "param:repo → list_packages.repo",
      "param:repo → migrate_package.repo",
      "item:pkg → migrate_package.pkg",
      "item:m → review.diff",
      "fanOut:pkg → coverage_kept.ms",
    ]);
    expect(w.edges[2]!.type).toEqual({ $ref: "#/$defs/Package" });
    expect(w.fanOuts.map((f) => [f.id, f.bound, f.concurrency, f.reads])).toEqual([
      ["pkg", 200, 12, [{ kind: "vertex", vertex: "list_packages" }]],
      ["m", 200, 4, [{ kind: "fanOut", for: "pkg" }]],
    ]);
    expect(w.barriers.map((b) => [b.id, b.after])).toEqual([
      ["verify:coverage_kept", null],
      ["approve:merge", "verify:coverage_kept"],
    ]);
  });

  it("numbers repeated names in source order, and tells apart two files' types of one name", () => {
    const ir = program(
      `import { make } from "./lib.flow"
type Item = { name: string }
node one(x: int) -> int { return x }
node named(i: Item) -> string { return i.name }
workflow main(n: int) -> int
  budget { compute: 1h }
{
  let a = one(n)
  let b = one(a)
  let c = make(b)
  approve "go"
  approve "go"
  let d = named({ name: "x" })
  return one(c.id)
}
`,
      {
        "lib.flow": `type Item = { id: int }
node make(id: int) -> Item { return { id: id } }
`,
      },
    );
    const w = workflow(ir, "main");
    expect(w.vertices.map((v) => v.id)).toEqual(["one", "one#2", "make", "named", "one#3"]);
    expect(w.barriers.map((b) => [b.id, b.after])).toEqual([
      ["approve:go", null],
      ["approve:go#2", "approve:go"],
    ]);
    expect(w.vertices.map((v) => v.after)).toEqual([null, null, null, "approve:go#2", "approve:go#2"]);
    // The entry file's `Item` is loaded first; the library's, another type, is `Item-2`.
    expect(ir.types).toEqual({
      Item: { type: "object", properties: { name: { type: "string" } }, required: ["name"], additionalProperties: false },
      "Item-2": { type: "object", properties: { id: { type: "integer" } }, required: ["id"], additionalProperties: false },
    });
    expect(ir.units.find((u) => u.name === "make")!.result).toEqual({ $ref: "#/$defs/Item-2" });
    expect(ir.units.find((u) => u.name === "named")!.params[0]!.type).toEqual({ $ref: "#/$defs/Item" });
  });

  it("refuses a program with errors", () => {
    const result = compile(new SourceFile("bad.flow", 'workflow w() -> int { return "no" }\n'), { readFile: () => undefined });
    expect(result.ir).toBeUndefined();
    expect(result.diagnostics.some((d) => d.code === "FL0210")).toBe(true);
  });
});
