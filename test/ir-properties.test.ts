import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../compiler/compile-ir.ts";
import { irFileText } from "../compiler/ir/hash.ts";
import type { Module, ModuleHost } from "../compiler/modules.ts";
import { SourceFile } from "../language/source-file.ts";
import { render, wellTypedProgram } from "./support/arbitrary-well-typed.ts";
import { repoRoot } from "./support/run-cli.ts";

/**
 * Compiling is deterministic (ARCHITECTURE.md, "Conventions"): a random
 * well-typed program lowers to IR, and gives the same bytes when compiled
 * again from scratch, after other programs were compiled through the same
 * parse cache (in any order), and from another directory.
 */

const runs = Number(process.env["FLOW_IR_RUNS"] ?? 100);
const timeout = Math.max(60_000, runs * 400);
const examples = readdirSync(join(repoRoot, "examples"))
  .filter((f) => f.endsWith(".flow"))
  .map((f) => `examples/${f}`);
const files: ModuleHost = { readFile: (path) => readFileSync(join(repoRoot, path.replace(/^\/elsewhere\//, "")), "utf8") };

function bytes(path: string, text: string, host: ModuleHost, parsed?: Map<string, Module>): string {
  const result = compile(new SourceFile(path, text), host, { strict: false, ...(parsed === undefined ? {} : { parsed }) });
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  expect(
    errors.map((d) => `${d.code} ${d.message}`),
    text,
  ).toEqual([]);
  return irFileText(result.ir!).text;
}

describe("compiling is deterministic", () => {
  it(
    "gives the same bytes for a random well-typed program: again, through a shared cache after other programs, and from another directory",
    () => {
      fc.assert(
        fc.property(wellTypedProgram, fc.shuffledSubarray(examples), (program, others) => {
          const { text } = render(program);
          const noImports: ModuleHost = { readFile: () => undefined };
          const first = bytes("generated.flow", text, noImports);
          expect(bytes("generated.flow", text, noImports)).toBe(first);
          const parsed = new Map<string, Module>();
          for (const other of others) bytes(other, readFileSync(join(repoRoot, other), "utf8"), files, parsed);
          expect(bytes("generated.flow", text, noImports, parsed)).toBe(first);
          expect(bytes("some/dir/generated.flow", text, noImports)).toBe(first);
        }),
        { numRuns: runs },
      );
    },
    timeout,
  );

  it("gives every example the same bytes whatever was compiled before it, and from an absolute path", () => {
    const fresh = new Map(examples.map((e) => [e, bytes(e, readFileSync(join(repoRoot, e), "utf8"), files)]));
    fc.assert(
      fc.property(fc.shuffledSubarray(examples, { minLength: examples.length }), (order) => {
        const parsed = new Map<string, Module>();
        for (const e of order) expect(bytes(e, readFileSync(join(repoRoot, e), "utf8"), files, parsed)).toBe(fresh.get(e));
      }),
      { numRuns: 5 },
    );
    for (const e of examples) expect(bytes(`/elsewhere/${e}`, readFileSync(join(repoRoot, e), "utf8"), files)).toBe(fresh.get(e));
  }, 60_000);
});
