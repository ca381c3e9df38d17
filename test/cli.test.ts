import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diagnosticCodes } from "../language/diagnostics/codes.ts";
import { repoRoot, runFlow } from "./support/run-cli.ts";

/** The `flow` binary as a user types it: arguments, files, exit codes, streams. */
const ansi = /\u001b\[/;

function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "flow-cli-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const broken = `node build(repo: string) -> string
  effects { proc }
{
  let out = sh("make", timeout: 10m
  return out.stdout
}
`;

const messy = `workflow   hello( )->string{
return   "hi"   }
`;

describe("flow check", () => {
  it("passes every example, warning only that the brief's own plan may exceed its compute budget", () => {
    const result = runFlow(["check", "examples/"]);
    expect(result.code).toBe(0);
    const warnings = [...result.stderr.matchAll(/^(\w+)\[(FL\d+)\]: (.*)$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
    expect(warnings).toEqual(["warning FL0403 `monorepo_to_turbo` may exceed its compute budget: worst case 1600h5m > 30h"]);
    expect(result.stderr).toContain("migrate_package: 200 pkgs × 4 attempts × 2h = 1600h");
    expect(result.stderr).toMatch(/1 warning in \d+ files\n$/);
    // Every workflow's cost table, on standard output.
    expect(result.stdout.match(/^cost of workflow /gm)).toHaveLength(9);
  });

  it("makes a plan that may exceed its budget an error with --strict", () => {
    const result = runFlow(["check", "--strict", "examples/monorepo-to-turbo.flow"]);
    expect(result.code).toBe(65);
    expect(result.stderr).toContain("error[FL0403]: `monorepo_to_turbo` may exceed its compute budget");
    expect(result.stdout).toBe("");
  });

  it("prints the cost table of a workflow, with each vertex's multiplier, attempts and worst case", () => {
    const result = runFlow(["check", "examples/monorepo-to-turbo.flow"]);
    expect(result.stdout).toContain("migrate_package  200 pkgs        4         compute 2h, wall 1h30m");
    expect(result.stdout).toMatch(/verdict\s+fits\s+fits\s+may exceed\s+no ceiling/);
  });

  it("says a workflow that calls nothing has no vertices, rather than print a table header over no rows", () => {
    const dir = scratch({ "plain.flow": "workflow w() -> int {\n  return 1\n}\n" });
    const result = runFlow(["check", "plain.flow"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^cost of workflow w:\n  no vertices: it calls no node, agent, verifier or workflow\n\n +tokens/);
  });

  it("names the unit of a dollar figure that is not an amount", () => {
    const dir = scratch({ "endless.flow": "workflow a(n: int) -> int {\n  return b(n)\n}\n\nworkflow b(n: int) -> int {\n  return a(n)\n}\n" });
    const result = runFlow(["check", "endless.flow"], { cwd: dir });
    expect(result.stdout).toContain("unbounded tokens, usd unbounded, compute unbounded, wall unbounded");
    expect(runFlow(["graph", "endless.flow"], { cwd: dir }).stdout).toContain("unbounded tokens, usd unbounded, compute unbounded, wall unbounded");
  });

  it("reports a syntax error with its code, position, source line and hint, and exits 65", () => {
    const dir = scratch({ "broken.flow": broken });
    const result = runFlow(["check", "broken.flow"], { cwd: dir });
    expect(result.code).toBe(65);
    expect(result.stderr).toContain("error[FL0111]: expected `)` to close the argument list");
    expect(result.stderr).toContain("--> broken.flow:4:36");
    expect(result.stderr).toContain('4 |   let out = sh("make", timeout: 10m');
    expect(result.stderr).toContain("the argument list starts here");
    expect(result.stderr).toContain("= help:");
    expect(result.stderr).toContain("1 error in 1 file");
    expect(result.stderr).not.toMatch(/at .*\.(ts|js|mjs):\d+/);
  });

  it("gives the same diagnostics as JSON on stdout with --json", () => {
    const dir = scratch({ "broken.flow": broken, "ok.flow": messy });
    const result = runFlow(["check", "--json", "broken.flow", "ok.flow"], { cwd: dir });
    expect(result.code).toBe(65);
    const report = JSON.parse(result.stdout);
    expect(report.summary).toEqual({ files: 2, errors: 1, warnings: 0 });
    expect(report.files).toEqual([
      { path: "broken.flow", errors: 1, warnings: 0 },
      { path: "ok.flow", errors: 0, warnings: 0 },
    ]);
    const [diagnostic] = report.diagnostics;
    expect(diagnostic.code).toBe("FL0111");
    expect(diagnostic.primary).toMatchObject({ file: "broken.flow", line: 4, column: 36 });
    expect(diagnostic.secondary[0]).toMatchObject({ line: 4, column: 15, label: "the argument list starts here" });
  });

  it("colours only on request: never off a terminal, with FORCE_COLOR, never with NO_COLOR", () => {
    const dir = scratch({ "broken.flow": broken });
    expect(runFlow(["check", "broken.flow"], { cwd: dir }).stderr).not.toMatch(ansi);
    expect(runFlow(["check", "broken.flow"], { cwd: dir, env: { FORCE_COLOR: "1" } }).stderr).toMatch(ansi);
    expect(runFlow(["check", "broken.flow"], { cwd: dir, env: { FORCE_COLOR: "1", NO_COLOR: "1" } }).stderr).not.toMatch(ansi);
  });

  it("exits 2 with one clear line for a missing file", () => {
    const result = runFlow(["check", "no-such.flow"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("flow: cannot read `no-such.flow`: no such file or directory\n");
  });

  it("prints no cost table, not even an empty line, for a file without a workflow", () => {
    const dir = scratch({ "empty.flow": "", "types.flow": "type T = { a: int }\n" });
    for (const file of ["empty.flow", "types.flow"]) {
      const result = runFlow(["check", file], { cwd: dir });
      expect(result.code, file).toBe(0);
      expect(result.stdout, file).toBe("");
      expect(result.stderr, file).toBe("1 file checked: no problems\n");
    }
  });
});

describe("usage", () => {
  it("exits 2 without a command, with an unknown command, or with an unknown option", () => {
    for (const args of [[], ["frobnicate"], ["check", "examples/", "--bogus"], ["fmt"], ["run", "x.flow", "--park-after", "5"]]) {
      const result = runFlow(args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr, args.join(" ")).toMatch(/^flow: .+\nRun `flow (fmt |check |run )?--help` for the (commands|options)\.\n$/);
    }
    // An option a command does not take points at that command's help, not at the list of commands.
    expect(runFlow(["check", "examples/", "--bogus"]).stderr).toBe("flow: unknown option '--bogus'\nRun `flow check --help` for the options.\n");
    expect(runFlow(["keys", "trust"]).stderr).toBe("flow: missing required argument 'name'\nRun `flow keys trust --help` for the options.\n");
  });

  it("prints its version with --version", () => {
    const result = runFlow(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).version}\n`);
  });

  it("prints help listing the commands", () => {
    const result = runFlow(["--help"]);
    expect(result.code).toBe(0);
    for (const command of ["check", "fmt", "explain"]) expect(result.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
  });

  it("shows a duration option's default as a duration", () => {
    for (const command of ["pause", "cancel"]) expect(runFlow([command, "--help"]).stdout).toContain("(default: 30s)");
  });
});

describe("flow fmt", () => {
  it("--check names the files that would change, exits 1, and writes nothing", () => {
    const dir = scratch({ "messy.flow": messy });
    const result = runFlow(["fmt", "--check", "messy.flow"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("messy.flow\n");
    expect(result.stderr).toContain("1 file would be reformatted");
    expect(readFileSync(join(dir, "messy.flow"), "utf8")).toBe(messy);
  });

  it("rewrites a file into the canonical layout, after which --check passes", () => {
    const dir = scratch({ "messy.flow": messy });
    expect(runFlow(["fmt", "messy.flow"], { cwd: dir }).code).toBe(0);
    expect(readFileSync(join(dir, "messy.flow"), "utf8")).toBe('workflow hello() -> string {\n  return "hi"\n}\n');
    expect(runFlow(["fmt", "--check", "messy.flow"], { cwd: dir }).code).toBe(0);
  });

  it("never rewrites a file with syntax errors", () => {
    const dir = scratch({ "broken.flow": broken });
    const result = runFlow(["fmt", "broken.flow"], { cwd: dir });
    expect(result.code).toBe(65);
    expect(result.stderr).toContain("error[FL0111]");
    expect(readFileSync(join(dir, "broken.flow"), "utf8")).toBe(broken);
  });

  it("formats standard input to standard output with --stdin", () => {
    const result = runFlow(["fmt", "--stdin"], { input: messy });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('workflow hello() -> string {\n  return "hi"\n}\n');
  });

  it("leaves the examples unchanged", () => {
    expect(runFlow(["fmt", "--check", "examples/"]).code).toBe(0);
  });
});

describe("flow explain", () => {
  it("prints the page of a code, in any case", () => {
    for (const code of ["FL0111", "fl0111"]) {
      const result = runFlow(["explain", code]);
      expect(result.code).toBe(0);
      expect(result.stdout.startsWith("# FL0111: unclosed delimiter\n")).toBe(true);
    }
  });

  it("lists every code without an argument", () => {
    const result = runFlow(["explain"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split("\n")).toHaveLength(Object.keys(diagnosticCodes).length);
  });

  it("refuses an unknown code, suggesting the nearest", () => {
    const result = runFlow(["explain", "FL0112x"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("is not a diagnostic code; did you mean FL0112?");
  });
});

describe("internal errors", () => {
  it("exit 70 with a request to report, and no stack unless FLOW_DEBUG=1", async () => {
    const { main } = await import("../cli/main.ts");
    let stderr = "";
    const code = await main(["check", "--json", "examples/hello.flow"], {
      out: () => {
        throw new Error("EPIPE: the reader went away");
      },
      err: (text) => (stderr += text),
      colorOut: false,
      colorErr: false,
    });
    expect(code).toBe(70);
    expect(stderr).toBe(
      "flow: internal error: EPIPE: the reader went away\nThis is a bug in flow; please report it with the command and input that caused it.\n",
    );
  });
});

describe("output read by a reader that goes away (`flow … | head`)", () => {
  /** Runs the command line with its output read by nobody: both pipes are closed before it writes. */
  const unread = (args: readonly string[], cwd = repoRoot) =>
    new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      const child = spawn(join(repoRoot, "bin", "flow"), [...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
      child.stdout.destroy();
      child.stderr.destroy();
      child.on("exit", (code, signal) => resolve({ code, signal }));
    });

  it("ends with the command's own exit code: a failed check still fails, a passing one passes", async () => {
    const dir = scratch({ "broken.flow": broken });
    expect(await unread(["check", join(dir, "broken.flow")])).toEqual({ code: 65, signal: null });
    expect(await unread(["check", "examples/"])).toEqual({ code: 0, signal: null });
  });

  it("ends `flow logs --follow` once nobody reads it, though the run goes on", async () => {
    const dir = scratch({ "wait.flow": 'workflow w() -> int {\n  let v = wait signal "go" -> int timeout 1h\n  return v\n}\n' });
    const started = runFlow(["run", "wait.flow"], { cwd: dir });
    expect(started.code, started.stderr).toBe(0);
    const run = /^run (\S+):/.exec(started.stderr)?.[1] ?? "";
    expect(await unread(["logs", run, "--follow"], dir)).toEqual({ code: 0, signal: null });
  });
});

describe("the launcher", () => {
  const commands = [["check", "examples/"], ["check", "--json", "examples/hello.flow"], ["explain", "FL0120"], ["fmt", "--check", "examples/"], ["frobnicate"]];

  it("gives the same results from the startup snapshot and from the bundle", () => {
    const dir = scratch({ "broken.flow": broken });
    for (const args of [...commands, ["check", join(dir, "broken.flow")]]) {
      const snapshot = runFlow(args);
      const bundle = runFlow(args, { env: { FLOW_NO_SNAPSHOT: "1" } });
      expect(snapshot, args.join(" ")).toEqual(bundle);
    }
  });

  it("falls back to the bundle when the snapshot was made by another node binary or with other V8 options", () => {
    const install = mkdtempSync(join(tmpdir(), "flow-install-"));
    cpSync(join(repoRoot, "bin"), join(install, "bin"), { recursive: true });
    cpSync(join(repoRoot, "dist"), join(install, "dist"), { recursive: true });
    cpSync(join(repoRoot, "docs"), join(install, "docs"), { recursive: true });
    writeFileSync(join(install, "dist/flow.blob.node"), "1 2 3\n");
    const result = runFlow(["explain", "FL0101"], { executable: join(install, "bin/flow") });
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith("# FL0101: unexpected character\n")).toBe(true);

    // This node binary, but V8 options other than the snapshot was made with (bin/node-flags changed since):
    // the snapshot would refuse to load, so the bundle runs.
    const made = readFileSync(join(repoRoot, "dist/flow.blob.node"), "utf8");
    expect(made.trim().endsWith(` ${readFileSync(join(repoRoot, "bin/node-flags"), "utf8").trim()}`)).toBe(true);
    cpSync(join(repoRoot, "dist/flow.blob.node"), join(install, "dist/flow.blob.node"));
    writeFileSync(join(install, "bin/node-flags"), "--max-semi-space-size=32\n");
    const otherFlags = runFlow(["explain", "FL0101"], { executable: join(install, "bin/flow") });
    expect(otherFlags.stderr).toBe("");
    expect(otherFlags.code).toBe(0);
    expect(otherFlags.stdout.startsWith("# FL0101: unexpected character\n")).toBe(true);
  });
});
