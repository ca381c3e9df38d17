import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { check } from "../compiler/compile.ts";
import type { Diagnostic } from "../language/diagnostics/diagnostic.ts";
import { SourceFile } from "../language/source-file.ts";
import { render, wellTypedProgram, wrongLiteral } from "./support/arbitrary-well-typed.ts";

/**
 * The type checker on random well-typed programs (record types, nodes and
 * verifiers that take and return them, a workflow that calls them, fans out
 * over bounded lists and uses std/list functions with lambdas): such a
 * program checks with no error, and replacing one argument by a literal of
 * another primitive type gives exactly one error, FL0210, at that argument.
 */

const runs = Number(process.env["FLOW_TYPE_RUNS"] ?? 200);
const timeout = Math.max(60_000, runs * 200);
const noImports = { readFile: () => undefined };

function errorsOf(text: string): Diagnostic[] {
  return check(new SourceFile("generated.flow", text), noImports).diagnostics.filter((d) => d.severity === "error");
}

function describeAll(diagnostics: readonly Diagnostic[]): string {
  return diagnostics.map((d) => `${d.code} @${d.primary.span.start}-${d.primary.span.end}: ${d.message}`).join("\n");
}

describe("type checking random well-typed programs", () => {
  it(
    "finds no error in a well-typed program",
    () => {
      fc.assert(
        fc.property(wellTypedProgram, (program) => {
          const { text } = render(program);
          const errors = errorsOf(text);
          expect(describeAll(errors), text).toBe("");
        }),
        { numRuns: runs },
      );
    },
    timeout,
  );

  it(
    "reports one FL0210, at the argument, when one argument has another primitive type",
    () => {
      const withSlots = wellTypedProgram.filter((p) => p.slots.length > 0);
      fc.assert(
        fc.property(withSlots, fc.nat(), (program, which) => {
          const slot = program.slots[which % program.slots.length]!;
          const { text, span } = render(program, { slot: slot.id, text: wrongLiteral(slot.type) });
          const errors = errorsOf(text);
          const context = `${slot.callee} given ${wrongLiteral(slot.type)} for a ${slot.type}\n${text}\n${describeAll(errors)}`;
          expect(errors.map((d) => ({ code: d.code, start: d.primary.span.start, end: d.primary.span.end })), context).toEqual([
            { code: "FL0210", start: span!.start, end: span!.end },
          ]);
        }),
        { numRuns: runs },
      );
    },
    timeout,
  );
});
