import { afterAll, describe, expect, it } from "vitest";
import { implementations, opId } from "../stdlib/runtime/index.ts";
import { type Step } from "../stdlib/runtime/implementation.ts";
import { failureOf, processContext, runStep, TempDirs } from "./support/std-runtime.ts";

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

const stepOf = (name: string) => implementations.get(opId("std/sandbox", name)) as Step;

describe("std/sandbox", () => {
  describe("sh", () => {
    it("records exit, stdout and stderr; the value adds lines and json", async () => {
      const context = await processContext(dirs);
      const { recorded, value } = await runStep("std/sandbox", "sh", context, { command: 'printf \'{"a": [1, 2]}\\r\\nsecond\\n\'; echo oops >&2', timeout: null });
      expect(recorded).toEqual({ exit: 0, stdout: '{"a": [1, 2]}\r\nsecond\n', stderr: "oops\n" });
      expect(value).toEqual({ exit: 0, stdout: '{"a": [1, 2]}\r\nsecond\n', stderr: "oops\n", lines: ['{"a": [1, 2]}', "second"], json: null });
      const json = await runStep("std/sandbox", "sh", context, { command: 'echo \'{"total": 0.8}\'' });
      expect(json.value).toMatchObject({ lines: ['{"total": 0.8}'], json: { total: 0.8 } });
    });

    it("returns a non-zero exit rather than failing", async () => {
      const context = await processContext(dirs);
      expect((await runStep("std/sandbox", "sh", context, { command: "echo no; exit 7", timeout: 10_000 })).recorded).toEqual({ exit: 7, stdout: "no\n", stderr: "" });
    });

    it("runs in the work tree with the step's journal id in FLOW_STEP_ID", async () => {
      const context = await processContext(dirs, "ab".repeat(32));
      await context.session.writeFile("here.txt", "");
      const { value } = await runStep("std/sandbox", "sh", context, { command: 'ls; echo "$FLOW_STEP_ID"', timeout: null });
      expect(value).toMatchObject({ lines: ["here.txt", "ab".repeat(32)] });
    });

    it("fails as Timeout when its timeout passes", async () => {
      const context = await processContext(dirs);
      expect(await failureOf(runStep("std/sandbox", "sh", context, { command: "sleep 30", timeout: 200 }))).toEqual({
        kind: "Timeout",
        message: "`sleep 30` was stopped when its timeout (200ms) passed",
      });
    });

    it("is the only sandbox step that is not idempotent", () => {
      const flags = Object.fromEntries(["sh", "read_file", "write_file", "list_files", "grep", "git.diff", "git.status", "git.commit"].map((n) => [n, stepOf(n).idempotent]));
      expect(flags).toEqual({ sh: false, read_file: true, write_file: true, list_files: true, grep: true, "git.diff": true, "git.status": true, "git.commit": true });
    });
  });

  describe("files", () => {
    it("write_file returns the bytes written; read_file reads them back", async () => {
      const context = await processContext(dirs);
      expect((await runStep("std/sandbox", "write_file", context, { path: "docs/ü.md", text: "grüße 😀\n" })).value).toBe(13);
      expect((await runStep("std/sandbox", "read_file", context, { path: "docs/ü.md" })).value).toBe("grüße 😀\n");
    });

    it("fails on a missing file and on paths out of the work tree", async () => {
      const context = await processContext(dirs);
      expect(await failureOf(runStep("std/sandbox", "read_file", context, { path: "nope.txt" }))).toEqual({ kind: "Failed", message: "no file `nope.txt` in the work tree" });
      expect(await failureOf(runStep("std/sandbox", "read_file", context, { path: "../../etc/passwd" }))).toEqual({
        kind: "Failed",
        message: "the path `../../etc/passwd` leaves the work tree",
      });
      expect((await failureOf(runStep("std/sandbox", "write_file", context, { path: "/tmp/flow-escape", text: "x" }))).message).toMatch(/absolute/);
    });

    it("list_files lists matching files, sorted", async () => {
      const context = await processContext(dirs);
      for (const path of ["src/b.ts", "src/a.ts", "src/a.test.ts", "src/util/c.js", "README.md"]) await context.session.writeFile(path, "");
      const list = async (glob: string) => (await runStep("std/sandbox", "list_files", context, { glob })).value;
      expect(await list("src/**/*.{ts,js}")).toEqual(["src/a.test.ts", "src/a.ts", "src/b.ts", "src/util/c.js"]);
      expect(await list("src/*.ts")).toEqual(["src/a.test.ts", "src/a.ts", "src/b.ts"]);
      expect(await list("*.md")).toEqual(["README.md"]);
      expect(await list("*.py")).toEqual([]);
    });
  });

  describe("grep", () => {
    async function tree() {
      const context = await processContext(dirs);
      await context.session.writeFile("src/b.ts", "// TODO: b\nconst x = 1;\r\n// todo lower\r\n// TODO: again\n");
      await context.session.writeFile("src/a.ts", "nothing\n// TODO: a\n");
      await context.session.writeFile("src/bin.dat", "TODO\u0000binary");
      await context.session.writeFile("top.txt", "TODO top\n");
      return context;
    }
    const grep = async (context: Awaited<ReturnType<typeof tree>>, pattern: string, path: string) => (await runStep("std/sandbox", "grep", context, { pattern, path })).value;

    it("finds matching lines in files sorted, then in line order, 1-based, skipping binary files", async () => {
      const context = await tree();
      expect(await grep(context, "TODO:", "src")).toEqual([
        { path: "src/a.ts", line: 2, text: "// TODO: a" },
        { path: "src/b.ts", line: 1, text: "// TODO: b" },
        { path: "src/b.ts", line: 4, text: "// TODO: again" },
      ]);
      expect(await grep(context, "^const \\w+ = \\d;$", "src/")).toEqual([{ path: "src/b.ts", line: 2, text: "const x = 1;" }]);
      expect(await grep(context, "TODO", ".")).toHaveLength(4);
      expect(await grep(context, "TODO", "./src/../top.txt")).toEqual([{ path: "top.txt", line: 1, text: "TODO top" }]);
      expect(await grep(context, "absent", "src")).toEqual([]);
    });

    it("fails on an invalid pattern, a path with nothing at it, a path out of the tree", async () => {
      const context = await tree();
      expect((await failureOf(grep(context, "(unclosed", "src"))).message).toMatch(/^`\(unclosed` is not a regular expression: /);
      expect(await failureOf(grep(context, "x", "srcc"))).toEqual({ kind: "Failed", message: "there is no file at or below `srcc` in the work tree" });
      expect((await failureOf(grep(context, "x", "../"))).kind).toBe("Failed");
      expect((await failureOf(grep(context, "x", "/"))).message).toMatch(/absolute/);
    });
  });
});
