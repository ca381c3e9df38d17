import { describe, expect, it } from "vitest";
import { stdTable } from "../compiler/verify-ir/std-table.ts";
import { stdModules } from "../stdlib/index.ts";
import { implementations, opId } from "../stdlib/runtime/index.ts";

describe("std implementations against the declarations in stdlib/*.flow", () => {
  const declared = [...stdTable()].flatMap(([module, table]) => [...table.functions].map(([name, declaration]) => ({ module, name, id: opId(module, name), kind: declaration.kind })));

  it("reads every module's declarations", () => {
    expect(new Set(declared.map((d) => d.module))).toEqual(new Set(stdModules.keys()));
    expect(declared.length).toBeGreaterThan(30);
  });

  it.each(declared)("$id is implemented, as a $kind", ({ id, kind }) => {
    // A `fn` with an `effects` clause is a step (journaled); without one, a pure function.
    expect(implementations.get(id)?.kind).toBe(kind);
  });

  it("has no implementation without a declaration", () => {
    const ids = new Set(declared.map((d) => d.id));
    expect([...implementations.keys()].filter((id) => !ids.has(id))).toEqual([]);
  });

  it("names each op by its module's current version", () => {
    expect(opId("std/sandbox", "git.diff")).toBe(`std/sandbox:git.diff@${stdModules.get("std/sandbox")!.version}`);
    expect(() => opId("std/nope", "x")).toThrow(/not a std module/);
  });
});
