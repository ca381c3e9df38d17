import { mkdir, readFile, realpath, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { processDriver } from "../interpreter/sandbox/process.ts";
import { outputLimitBytes } from "../interpreter/sandbox/run-shell.ts";
import type { ExecOptions, SandboxSession } from "../interpreter/sandbox/sandbox.ts";
import { failureOf, TempDirs, testRequest } from "./support/std-runtime.ts";

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

async function session(): Promise<SandboxSession> {
  return processDriver.acquire(testRequest(await dirs.make(), "process"));
}

const options = (more: Partial<ExecOptions> = {}): ExecOptions => ({ timeoutMs: null, env: {}, signal: new AbortController().signal, ...more });

/** Whether a process is gone: no such pid, or a zombie only waiting for its reaper. */
async function gone(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  const status = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return status === "" || status.slice(status.lastIndexOf(")") + 2).startsWith("Z");
}

async function eventually(check: () => Promise<boolean>, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

describe("the process driver", () => {
  it("acquires a work tree, creating it when missing and keeping what is there", async () => {
    const workTree = join(await dirs.make(), "nested", "tree");
    const first = await processDriver.acquire(testRequest(workTree, "process"));
    expect(first.workTree).toBe(workTree);
    expect((await stat(workTree)).isDirectory()).toBe(true);
    await first.writeFile("kept.txt", "x");
    await first.release();
    const again = await processDriver.acquire(testRequest(workTree, "process"));
    expect(await again.readFile("kept.txt")).toBe("x");
  });

  describe("exec", () => {
    it("runs sh -c in the work tree and returns exit, stdout and stderr", async () => {
      const s = await session();
      const result = await s.exec("pwd; echo out; echo err >&2; exit 3", options());
      expect(result).toEqual({ exit: 3, stdout: `${await realpath(s.workTree)}\nout\n`, stderr: "err\n", timedOut: false, outOfMemory: false });
    });

    it("reports a command killed by a signal as 128 + its number", async () => {
      const s = await session();
      expect((await s.exec("kill -TERM $$", options())).exit).toBe(128 + 15);
    });

    it("gives the command a minimal environment, UTF-8, with the given variables over it", async () => {
      const s = await session();
      process.env.FLOW_TEST_HOST_SECRET = "leaked";
      try {
        const result = await s.exec('echo "$LANG|$FLOW_TEST_HOST_SECRET|$EXTRA|$HOME"; printf é | wc -c', options({ env: { EXTRA: "given", HOME: "/elsewhere" } }));
        expect(result.stdout).toBe("C.UTF-8||given|/elsewhere\n2\n");
      } finally {
        delete process.env.FLOW_TEST_HOST_SECRET;
      }
    });

    it("decodes output as UTF-8, however it is chunked", async () => {
      const s = await session();
      const result = await s.exec("i=0; while [ $i -lt 2000 ]; do printf 'é😀'; i=$((i+1)); done", options());
      expect(result.stdout).toBe("é😀".repeat(2000));
    });

    it("kills the whole process group when the timeout passes", async () => {
      const s = await session();
      const started = Date.now();
      const result = await s.exec("sleep 30 & echo $! > child.pid; wait", options({ timeoutMs: 300 }));
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(result.timedOut).toBe(true);
      expect(result.exit).toBe(128 + 9);
      const child = Number(await s.readFile("child.pid"));
      expect(await eventually(() => gone(child))).toBe(true);
    });

    it("kills what the command left running in the background when it exits", async () => {
      const s = await session();
      const started = Date.now();
      const result = await s.exec("sleep 30 & echo $! > child.pid; echo done", options());
      expect(result).toMatchObject({ exit: 0, stdout: "done\n", timedOut: false });
      expect(Date.now() - started).toBeLessThan(10_000);
      const child = Number(await s.readFile("child.pid"));
      expect(await eventually(() => gone(child))).toBe(true);
    });

    it("kills the group and rejects with the reason when aborted", async () => {
      const s = await session();
      const controller = new AbortController();
      const running = s.exec("sleep 30 & echo $! > child.pid; wait", options({ signal: controller.signal }));
      await eventually(async () => (await s.readFile("child.pid").catch(() => "")) !== "");
      controller.abort(new Error("attempt given up"));
      await expect(running).rejects.toThrow("attempt given up");
      const child = Number(await s.readFile("child.pid"));
      expect(await eventually(() => gone(child))).toBe(true);
      await expect(s.exec("echo never", options({ signal: controller.signal }))).rejects.toThrow("attempt given up");
    });

    it("keeps at most the output limit of a stream, and says what it cut", async () => {
      const s = await session();
      const result = await s.exec(`head -c ${outputLimitBytes + 1000} /dev/zero | tr '\\0' x; echo tail >&2`, options());
      expect(result.stdout.length).toBe(outputLimitBytes);
      expect(result.stderr).toBe(`tail\n\n[flow: stdout cut at ${outputLimitBytes} bytes; 1000 more bytes were dropped]\n`);
    });
  });

  describe("files", () => {
    it("writes (creating directories) and reads back UTF-8, counting bytes", async () => {
      const s = await session();
      expect(await s.writeFile("a/b/c.txt", "héllo\n")).toBe(7);
      expect(await s.readFile("a/b/c.txt")).toBe("héllo\n");
      expect(await s.readFile("./a/../a/b/c.txt")).toBe("héllo\n");
      expect(await s.writeFile("a/b/c.txt", "")).toBe(0);
      expect(await s.readFile("a/b/c.txt")).toBe("");
    });

    it("fails clearly on a missing file, a directory, a file used as a directory", async () => {
      const s = await session();
      await s.writeFile("file", "x");
      await mkdir(join(s.workTree, "dir"));
      expect(await failureOf(s.readFile("missing.txt"))).toEqual({ kind: "Failed", message: "no file `missing.txt` in the work tree" });
      expect(await failureOf(s.readFile("dir"))).toEqual({ kind: "Failed", message: "`dir` is a directory, not a file" });
      expect((await failureOf(s.writeFile("file/x", "y"))).kind).toBe("Failed");
    });

    it("refuses paths that leave the work tree", async () => {
      const s = await session();
      const outside = await dirs.make();
      await writeFile(join(outside, "secret"), "s");
      for (const path of ["../secret", "a/../../secret", `${outside}/secret`, "/etc/passwd"]) {
        const failure = await failureOf(s.readFile(path));
        expect(failure.kind, path).toBe("Failed");
        expect(failure.message, path).toMatch(/absolute|leaves the work tree/);
        expect((await failureOf(s.writeFile(path, "x"))).kind).toBe("Failed");
      }
    });

    it("refuses paths that lead out through a symbolic link, existing or dangling", async () => {
      const s = await session();
      const outside = await dirs.make();
      await writeFile(join(outside, "secret"), "s");
      await symlink(outside, join(s.workTree, "out"));
      await symlink(join(outside, "secret"), join(s.workTree, "secret-link"));
      await symlink(join(outside, "not-yet"), join(s.workTree, "dangling"));
      await symlink("inside.txt", join(s.workTree, "in-link"));
      const refused = /leads out of the work tree through a symbolic link/;
      expect((await failureOf(s.readFile("out/secret"))).message).toMatch(refused);
      expect((await failureOf(s.readFile("secret-link"))).message).toMatch(refused);
      expect((await failureOf(s.writeFile("out/new", "x"))).message).toMatch(refused);
      expect((await failureOf(s.writeFile("dangling", "x"))).message).toMatch(refused);
      await expect(stat(join(outside, "not-yet"))).rejects.toThrow();
      // A link that stays inside is a path like any other.
      await s.writeFile("in-link", "through");
      expect(await s.readFile("inside.txt")).toBe("through");
    });
  });

  describe("listFiles", () => {
    it("walks the tree, sorted by code unit, skipping .git, listing links to files only", async () => {
      const s = await session();
      for (const path of ["b.ts", "a.ts", "B.ts", "src/x.ts", "src/deep/y.ts", ".github/ci.yml", ".git/config", "sub/.git/HEAD", "é.ts"]) await s.writeFile(path, "");
      await mkdir(join(s.workTree, "empty"));
      const outside = await dirs.make();
      await writeFile(join(outside, "o.ts"), "");
      await symlink(outside, join(s.workTree, "linked-dir"));
      await symlink("a.ts", join(s.workTree, "link.ts"));
      await symlink(join(outside, "o.ts"), join(s.workTree, "out-link.ts"));
      expect(await s.listFiles("**")).toEqual([".github/ci.yml", "B.ts", "a.ts", "b.ts", "link.ts", "src/deep/y.ts", "src/x.ts", "é.ts"]);
      expect(await s.listFiles("*.ts")).toEqual(["B.ts", "a.ts", "b.ts", "link.ts", "é.ts"]);
      expect(await s.listFiles("src/**/*.ts")).toEqual(["src/deep/y.ts", "src/x.ts"]);
      expect(await s.listFiles("{src/x,a,missing}.ts")).toEqual(["a.ts", "src/x.ts"]);
      expect(await s.listFiles("**/*.yml")).toEqual([".github/ci.yml"]);
      expect(await s.listFiles(".git/*")).toEqual([]);
      expect(await s.listFiles("src")).toEqual([]);
      expect(await s.listFiles("nothing/**")).toEqual([]);
      expect((await failureOf(s.listFiles("linked-dir/*"))).message).toMatch(/symbolic link/);
      expect((await failureOf(s.listFiles("../*"))).kind).toBe("Failed");
    });
  });
});
