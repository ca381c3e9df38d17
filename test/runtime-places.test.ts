import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { verifyIr } from "../compiler/verify-ir.ts";
import { placeOf } from "../interpreter/core/source-place.ts";
import { positionIn, SourceFile } from "../language/source-file.ts";
import { irOf } from "./support/example-ir.ts";
import { repoRoot, runFlow } from "./support/run-cli.ts";

const fixtures = join(repoRoot, "test/fixtures/ledgers");

/** A fixture program run anew in an empty project: what `flow run` printed, and its replay's first line. */
function runFixture(file: string, args: string): { readonly code: number; readonly stderr: string; readonly replay: string } {
  const cwd = mkdtempSync(join(tmpdir(), "flow-places-"));
  copyFileSync(join(fixtures, file), join(cwd, file));
  const run = runFlow(["run", file, "--sandbox", "process", "--arg", args], { cwd });
  const id = /^run (\S+) completed/m.exec(run.stderr)?.[1];
  return { code: run.code, stderr: run.stderr, replay: id === undefined ? "" : runFlow(["replay", id], { cwd }).stdout };
}

/** `flow replay` of a fixture ledger, in a directory with no store: its verdict. */
function replayFixture(ledger: string): string {
  const replay = runFlow(["replay", join(fixtures, ledger)], { cwd: mkdtempSync(join(tmpdir(), "flow-places-")) });
  expect(replay.code, replay.stdout + replay.stderr).toBe(0);
  return replay.stdout;
}

/** Line and column of OFFSET counted the slow way, character by character. */
function counted(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let column = 1;
  for (let i = 0; i < offset; i++) {
    if (text[i] === "\n") {
      line++;
      column = 1;
    } else column++;
  }
  return { line, column };
}

describe("where a failure at run time is", () => {
  it("is the line and column the IR's line table gives, for any text and offset", () => {
    const texts = fc.array(fc.constantFrom("a", "é", "\n", "\r\n", " ", "😀"), { maxLength: 60 }).map((parts) => parts.join(""));
    fc.assert(
      fc.property(texts, fc.nat(), (text, n) => {
        const offset = n % (text.length + 1);
        const lines = new SourceFile("f.flow", text).lineStarts();
        expect(positionIn(lines, offset)).toEqual(counted(text, offset));
        expect(placeOf({ file: "f.flow", start: offset, end: offset }, [{ path: "f.flow", sha256: "0".repeat(64), lines: [...lines] }])).toBe(
          `f.flow:${counted(text, offset).line}:${counted(text, offset).column}`,
        );
      }),
    );
  });

  it("is the offset for IR of version 1, which has no line table, as its failures were recorded", () => {
    expect(placeOf({ file: "f.flow", start: 58, end: 60 }, [{ path: "f.flow", sha256: "0".repeat(64) }])).toBe("f.flow:58");
  });

  it("names the line and column in a new run's failures", () => {
    const run = runFixture("v1-failures.flow", 'texts=["4","x"]');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("item 0 dropped (Failed: division by zero (at v1-failures.flow:5:10))");
    expect(run.stderr).toContain('item 1 dropped (InvalidOutput: cannot convert the string "x" to a whole number (at v1-failures.flow:4:11))');
    expect(run.replay).toMatch(/^identical: 11 entries/);
  });

  it("still replays byte for byte a ledger recorded before, whose failures name offsets", () => {
    expect(readFileSync(join(fixtures, "v1-failures.jsonl"), "utf8")).toContain("division by zero (at v1-failures.flow:223)");
    expect(replayFixture("v1-failures.jsonl")).toMatch(/^identical: 11 entries of .* head 4199ab518c9702c93f8866b0e713c11147dddc73119e43614973d87db01a48c2$/m);
  });
});

describe("where a std function's failure is", () => {
  it("is added to its message in a new run, once, at the call", () => {
    const run = runFixture("v1-std-failure.flow", 'texts=["[1]","not json"]');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("item 1 dropped (InvalidOutput: the text is not JSON: at line 1, column 1: expected a value, found `n` (at v1-std-failure.flow:6:10))");
    expect(run.replay).toMatch(/^identical: 10 entries/);

    // In a lambda a std function calls, the place is the innermost call's, not also `map`'s.
    const cwd = mkdtempSync(join(tmpdir(), "flow-places-"));
    writeFileSync(
      join(cwd, "lambda.flow"),
      'import { parse } from "std/json"\nimport { map } from "std/list"\n\nnode read(texts: List<string, max 10>) -> List<json, max 10> {\n  return map(texts, (t) => parse(t))\n}\n\nworkflow main(texts: List<string, max 10>) -> List<json, max 10> {\n  return read(texts)\n}\n',
    );
    const inLambda = runFlow(["run", "lambda.flow", "--sandbox", "process", "--arg", 'texts=["[1]","nope"]'], { cwd });
    expect(inLambda.code).toBe(1);
    expect(inLambda.stderr).toContain("read: InvalidOutput: the text is not JSON: at line 1, column 1: expected a value, found `n` (at lambda.flow:5:28)\n");
  });

  it("is not in a ledger recorded before, which still replays byte for byte", () => {
    expect(readFileSync(join(fixtures, "v1-std-failure.jsonl"), "utf8")).toContain("the text is not JSON: at line 1, column 1: expected a value, found `n`\"");
    expect(replayFixture("v1-std-failure.jsonl")).toMatch(/^identical: 10 entries of .* head 70389860e4e66c6b1708cb78e606689cde997d54ed94a30400eda47abb6bc717$/m);
  });
});

describe("the IR's line tables", () => {
  it("are in every source file of the IR the compiler writes, and checked by the verifier", () => {
    const { ir } = irOf("examples/hello.flow");
    const text = readFileSync(join(repoRoot, "examples/hello.flow"), "utf8");
    expect(ir.irVersion).toBe(2);
    expect(ir.sources[0]?.lines).toEqual(new SourceFile("examples/hello.flow", text).lineStarts());
    expect(verifyIr(ir).map((p) => p.code)).toEqual([]);

    const without = { ...ir, sources: ir.sources.map(({ lines: _, ...rest }) => rest) };
    expect(verifyIr(without).map((p) => `${p.code} ${p.path} ${p.message}`)).toEqual([
      "FL0501 /sources/0/lines a source file of IR version 2 has `lines`, where its lines begin, and this one has none",
    ]);
    expect(verifyIr({ ...without, irVersion: 1 })).toEqual([]);
    const backwards = { ...ir, sources: ir.sources.map((s) => ({ ...s, lines: [0, 9, 9] })) };
    expect(verifyIr(backwards).map((p) => p.message)).toEqual(["a source file's `lines` increase, and item 2 is not past the one before"]);
  });
});
