import { afterAll, describe, expect, it } from "vitest";
import type { Json } from "../interpreter/ledger/entry.ts";
import { implementations, opId } from "../stdlib/runtime/index.ts";
import type { Step } from "../stdlib/runtime/implementation.ts";
import { callPure, failureOf, processContext, runStep, TempDirs } from "./support/std-runtime.ts";

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

const conforms = (value: Json, schema: Json) => callPure("std/verify", "conforms", { value, schema });

describe("std/verify", () => {
  it("anchors_resolve: every quote occurs verbatim in its source", () => {
    const resolve = (anchors: Json) => callPure("std/verify", "anchors_resolve", { anchors });
    expect(resolve([])).toBe(true);
    expect(
      resolve([
        { quote: "quick brown", source: "the quick brown fox" },
        { quote: "fox", source: "the quick brown fox" },
      ]),
    ).toBe(true);
    expect(resolve([{ quote: "quick  brown", source: "the quick brown fox" }])).toBe(false);
    expect(resolve([{ quote: "Quick", source: "the quick brown fox" }])).toBe(false);
    // An empty quote anchors nothing.
    expect(resolve([{ quote: "", source: "anything" }])).toBe(false);
  });

  it("anchors_in_files: quotes found in work-tree files, CRLF and LF alike", async () => {
    const context = await processContext(dirs);
    await context.session.writeFile("notes/crlf.txt", "line one\r\nline two\r\n");
    await context.session.writeFile("lf.md", "alpha\nbeta\n");
    const inFiles = async (anchors: Json) => (await runStep("std/verify", "anchors_in_files", context, { anchors })).value;
    expect(await inFiles([])).toBe(true);
    expect(
      await inFiles([
        { quote: "one\nline two", path: "notes/crlf.txt" },
        { quote: "alpha\r\nbeta", path: "lf.md" },
        { quote: "beta", path: "lf.md" },
      ]),
    ).toBe(true);
    expect(await inFiles([{ quote: "gamma", path: "lf.md" }])).toBe(false);
    expect(await inFiles([{ quote: "", path: "lf.md" }])).toBe(false);
    // A file that is not there, or not in the tree, holds no quote: a verdict, not an error.
    expect(await inFiles([{ quote: "alpha", path: "missing.md" }])).toBe(false);
    expect(await inFiles([{ quote: "root", path: "../../../etc/passwd" }])).toBe(false);
    expect((implementations.get(opId("std/verify", "anchors_in_files")) as Step).idempotent).toBe(true);
  });

  it("conforms: JSON Schema 2020-12", () => {
    const schema = {
      type: "object",
      properties: { name: { type: "string", minLength: 2 }, tags: { type: "array", prefixItems: [{ const: "first" }], items: { type: "string" } } },
      required: ["name"],
      additionalProperties: false,
    };
    expect(conforms({ name: "ab", tags: ["first", "x"] }, schema)).toBe(true);
    expect(conforms({ name: "a" }, schema)).toBe(false);
    expect(conforms({ name: "ab", extra: 1 }, schema)).toBe(false);
    expect(conforms({ name: "ab", tags: ["second"] }, schema)).toBe(false);
    expect(conforms(3, { type: "integer" })).toBe(true);
    expect(conforms(3.5, { type: "integer" })).toBe(false);
    // Lengths count code points.
    expect(conforms("😀", { type: "string", maxLength: 1 })).toBe(true);
    expect(conforms("anything", true)).toBe(true);
    expect(conforms(null, false)).toBe(false);
  });

  it("conforms: format is an annotation and unknown keywords are ignored, as 2020-12 has them by default", () => {
    expect(conforms("not an email", { type: "string", format: "email" })).toBe(true);
    expect(conforms(1, { type: "number", "x-vendor": { anything: true } })).toBe(true);
  });

  it("conforms: two schemas with the same $id do not collide", () => {
    expect(conforms(1, { $id: "https://example.com/s", type: "number" })).toBe(true);
    expect(conforms(1, { $id: "https://example.com/s", type: "string" })).toBe(false);
  });

  it("conforms: a schema that cannot be checked fails", async () => {
    expect(await failureOf(() => conforms(1, "not a schema"))).toMatchObject({ kind: "Failed", message: expect.stringMatching(/^the schema is not a JSON Schema \(2020-12\) that can be checked: /) });
    expect((await failureOf(() => conforms(1, { $ref: "https://example.com/elsewhere.json" }))).kind).toBe("Failed");
    expect((await failureOf(() => conforms(1, { type: "no-such-type" }))).kind).toBe("Failed");
  });
});
