import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Effect } from "../compiler/ir/effect.ts";
import { bwrapDriver, bwrapWorks, flowGroups, sessionsMadeAhead } from "../interpreter/sandbox/bwrap/bwrap.ts";
import { Cgroup, detectCgroups } from "../interpreter/sandbox/bwrap/cgroup.ts";
import { EtcView } from "../interpreter/sandbox/bwrap/etc-view.ts";
import { sandboxesEnded } from "../interpreter/sandbox/bwrap/ending-sandboxes.ts";
import { sandboxAgent } from "../interpreter/sandbox/bwrap/session-agent.ts";
import { sparesMade, sparesTaken } from "../interpreter/sandbox/bwrap/spare-sandboxes.ts";
import { spareHelper, spareHelperBinary } from "../interpreter/sandbox/bwrap/spare-helper.ts";
import { staticBinary } from "../interpreter/sandbox/bwrap/static-binary.ts";
import type { ResolvedProfile } from "../interpreter/sandbox/profile.ts";
import type { ExecOptions, SandboxSession } from "../interpreter/sandbox/sandbox.ts";
import { implementations } from "../stdlib/runtime/index.ts";
import { failureOf, TempDirs, testRequest, testStepId } from "./support/std-runtime.ts";

/**
 * The bwrap driver enforces what a node is granted: each effect with and
 * without, the escapes a command might try, and the limits of its profile.
 * Real bubblewrap, real cgroups (v1 on this machine), a real server on
 * loopback. `.ci/run` installs bubblewrap, so these run in CI.
 */

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

const effect = (name: Effect["name"]): Effect => ({ name, scope: null });
const options = (more: Partial<ExecOptions> = {}): ExecOptions => ({ timeoutMs: 20_000, env: {}, signal: new AbortController().signal, ...more });

let projectDir = "";
const sessions: SandboxSession[] = [];
afterAll(async () => {
  for (const session of sessions) await session.release();
});

/** Each test runs twice: with a session's sandbox and its agent (the default), and with a sandbox per command (no C compiler). */
let sessionAgent = true;

async function sandbox(effects: readonly Effect["name"][], profile: Partial<ResolvedProfile> = {}): Promise<SandboxSession> {
  const driver = bwrapDriver({ projectDir, sessionAgent });
  const session = await driver.acquire(testRequest(await dirs.make(), "bwrap", { effects: effects.map(effect), profile }));
  sessions.push(session);
  return session;
}

let server: Server;
let port = 0;
beforeAll(async () => {
  projectDir = await dirs.make();
  server = createServer((socket) => socket.end("hello from the host\n"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Whether a program needs no shared libraries (busybox-static's does not): it then runs on a root with nothing else. */
function isStatic(path: string): boolean {
  return existsSync(path) && !spawnSync("ldd", [path], { encoding: "utf8" }).stdout.includes("=>");
}

/** Reads the host's loopback server with bash's /dev/tcp: no client program needed. */
const reachHost = () => `exec 3<>/dev/tcp/127.0.0.1/${port} && cat <&3`;

describe.runIf(bwrapWorks()).each([
  { mode: "a session's sandbox with its agent", agent: true },
  { mode: "a sandbox per command", agent: false },
])("the bwrap driver, $mode", ({ agent }) => {
  beforeAll(() => {
    sessionAgent = agent;
  });

  describe("net", () => {
    it("with `net`, a server on the host's 127.0.0.1 answers", async () => {
      const s = await sandbox(["proc", "net"]);
      const result = await s.exec(`bash -c '${reachHost()}'`, options());
      expect(result).toMatchObject({ exit: 0, stdout: "hello from the host\n" });
    });

    it("without it, the sandbox has only its own loopback and the host's server is unreachable", async () => {
      const s = await sandbox(["proc"]);
      const result = await s.exec(`bash -c '${reachHost()}'`, options());
      expect(result.exit).not.toBe(0);
      expect(result.stderr).toMatch(/Connection refused/);
      expect((await s.exec("ls /sys/class/net 2>/dev/null || cat /proc/net/dev", options())).stdout).not.toMatch(/eth0|ens/);
    });
  });

  describe("fs.write", () => {
    it("with it, the work tree is writable at /flow/work and the host sees the file", async () => {
      const s = await sandbox(["proc", "fs.write"]);
      const result = await s.exec("pwd && echo made > made.txt", options());
      expect(result).toMatchObject({ exit: 0, stdout: "/flow/work\n" });
      expect(await readFile(join(s.workTree, "made.txt"), "utf8")).toBe("made\n");
    });

    it("without it, the tree is read-only: the command's write fails and so does write_file", async () => {
      const s = await sandbox(["proc", "fs.read"]);
      await writeFile(join(s.workTree, "given.txt"), "given\n");
      expect((await s.exec("cat given.txt", options())).stdout).toBe("given\n");
      const result = await s.exec("echo changed > given.txt", options());
      expect(result.exit).not.toBe(0);
      expect(result.stderr).toMatch(/Read-only file system/);
      expect(await readFile(join(s.workTree, "given.txt"), "utf8")).toBe("given\n");
      expect((await failureOf(s.writeFile("x.txt", "x"))).message).toMatch(/not granted `fs.write`/);
    });

    it("without fs.read or fs.write, /flow/work is empty and the host's tree is not visible", async () => {
      const s = await sandbox(["proc"]);
      await writeFile(join(s.workTree, "secret.txt"), "no\n");
      expect((await s.exec("ls -A /flow/work", options())).stdout).toBe("");
      expect((await failureOf(s.readFile("secret.txt"))).message).toMatch(/not granted `fs.read`/);
    });

    it("even with it, nothing outside the tree is written: /usr, /etc and / are read-only, /tmp is the sandbox's own", async () => {
      const s = await sandbox(["proc", "fs.write"]);
      for (const target of ["/usr/flow-escape", "/etc/flow-escape", "/flow-escape"]) {
        const result = await s.exec(`echo x > ${target}`, options());
        expect(result.exit, target).not.toBe(0);
        expect(existsSync(target), target).toBe(false);
      }
      const marker = `flow-sandbox-tmp-${process.pid}`;
      expect((await s.exec(`echo x > /tmp/${marker} && cat /tmp/${marker}`, options())).stdout).toBe("x\n");
      expect(existsSync(join("/tmp", marker))).toBe(false);
    });
  });

  describe("proc", () => {
    it("with it, a command starts child processes", async () => {
      const s = await sandbox(["proc"]);
      expect(await s.exec("ls / | wc -l", options())).toMatchObject({ exit: 0 });
    });

    it("without it, no child process starts (fork, vfork, clone and posix_spawn are refused) but the shell's builtins run", async () => {
      const s = await sandbox(["fs.write"]);
      const forked = await s.exec("ls /", options());
      expect(forked.exit).not.toBe(0);
      expect(forked.stderr).toMatch(/Cannot fork/);
      expect(await s.exec("echo built-in; printf 'ok\\n' > note.txt", options())).toMatchObject({ exit: 0, stdout: "built-in\n" });
      expect(await readFile(join(s.workTree, "note.txt"), "utf8")).toBe("ok\n");
    });
  });

  describe("escapes", () => {
    it("cannot remount /usr writable: every capability is dropped", async () => {
      const s = await sandbox(["proc", "fs.write"]);
      const result = await s.exec("mount -o remount,bind,rw /usr && touch /usr/flow-escape", options());
      expect(result.exit).not.toBe(0);
      expect(result.stderr).toMatch(/permission denied|Operation not permitted/i);
      expect(existsSync("/usr/flow-escape")).toBe(false);
    });

    it("cannot read a host file outside its profile, nor the host's secrets in /etc", async () => {
      const hostDir = await mkdtemp(join(tmpdir(), "flow-host-"));
      await writeFile(join(hostDir, "private.txt"), "private\n");
      const s = await sandbox(["proc", "fs.write"]);
      const outside = await s.exec(`cat ${join(hostDir, "private.txt")}`, options());
      expect(outside.exit).not.toBe(0);
      expect(outside.stdout).toBe("");
      const shadow = await s.exec("cat /etc/shadow", options());
      expect(shadow.stderr).toMatch(/No such file/);
    });

    it("sees a shared directory read-only, with the project's .flow hidden", async () => {
      await writeFile(join(projectDir, "shared.txt"), "shared\n");
      const flowDir = join(projectDir, ".flow");
      await mkdir(flowDir, { recursive: true });
      await writeFile(join(flowDir, "runner.pem"), "key\n");
      const s = await sandbox(["proc"], { share: ["."] });
      expect((await s.exec(`cat ${projectDir}/shared.txt`, options())).stdout).toBe("shared\n");
      expect((await s.exec(`ls -A ${flowDir}`, options())).stdout).toBe("");
      expect((await s.exec(`echo x > ${projectDir}/shared.txt`, options())).exit).not.toBe(0);
      expect(await readFile(join(projectDir, "shared.txt"), "utf8")).toBe("shared\n");
    });

    it("cannot raise its limits: no CAP_SYS_RESOURCE for a hard limit, no cgroup files to write", async () => {
      const s = await sandbox(["proc"]);
      const raise = await s.exec("ulimit -Hn $(( $(ulimit -Hn) + 1 ))", options());
      expect(raise.exit).not.toBe(0);
      const cgroup = await s.exec("echo max > /sys/fs/cgroup/pids/pids.max", options());
      expect(cgroup.exit).not.toBe(0);
    });

    it("passes none of flow's environment but PATH, HOME, the locale and what the profile names", async () => {
      process.env["FLOW_TEST_SECRET"] = "s3cret";
      const s = await sandbox(["proc"], { env: { GREETING: "hi", TOKEN: "$FLOW_TEST_SECRET" } });
      const names = (await s.exec("env | cut -d= -f1 | sort", options({ env: { FLOW_STEP_ID: testStepId } }))).stdout.trim().split("\n");
      expect(names).toEqual(["FLOW_STEP_ID", "GREETING", "HOME", "LANG", "LC_ALL", "PATH", "PWD", "TOKEN"]);
      expect((await s.exec("echo $TOKEN", options())).stdout).toBe("s3cret\n");
    });
  });

  describe.runIf(detectCgroups() !== null)("limits and accounting", () => {
    it("kills a memory hog at its limit, and the sh step fails saying so", async () => {
      const s = await sandbox(["proc", "fs.write"], { memoryMb: 32 });
      const hog = await s.exec("head -c 200000000 /dev/zero | tail -c 1 > /dev/null; x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived", options());
      expect(hog.outOfMemory).toBe(true);
      expect(hog.stdout).not.toContain("survived");
      const sh = implementations.get("std/sandbox:sh@1");
      if (sh?.kind !== "step") throw new Error("no sh step");
      const failure = await failureOf(sh.run({ session: s, stepId: testStepId, signal: new AbortController().signal }, { command: "x=$(head -c 100000000 /dev/zero | tr '\\0' a)", timeout: null }));
      expect(failure).toEqual({ kind: "Failed", message: expect.stringMatching(/was killed: its sandbox reached the memory limit/) });
      // The sandbox is still usable after the kill.
      expect((await s.exec("echo alive", options())).stdout).toBe("alive\n");
    });

    it("holds its processes to the profile's pids", async () => {
      const s = await sandbox(["proc"], { pids: 16 });
      const result = await s.exec("for i in $(seq 40); do sleep 2 & done 2>&1; wait", options());
      expect(result.stdout + result.stderr).toMatch(/Cannot fork|Resource temporarily unavailable/);
    });

    it("counts the CPU time its processes used, from the cgroup", async () => {
      const s = await sandbox(["proc"]);
      const before = (await s.cpuMs()) as number;
      await s.exec("i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done", options());
      const used = ((await s.cpuMs()) as number) - before;
      expect(used).toBeGreaterThan(100);
    });

    it("gives a half-core profile at most about half a core", async () => {
      const s = await sandbox(["proc"], { cpus: 0.5 });
      const before = (await s.cpuMs()) as number;
      const began = performance.now();
      await s.exec("timeout 1 sh -c 'while :; do :; done'", options());
      const wall = performance.now() - began;
      const used = ((await s.cpuMs()) as number) - before;
      expect(used / wall).toBeLessThan(0.7);
    });

    it("ends what a killed flow's groups still hold, and removes them, before its first sandbox (the reaper)", async () => {
      const layout = detectCgroups();
      if (layout === null) return;
      /** A killed flow's group (its pid is no process's now) with what a kill between a command's launch and bwrap's start leaves in it: a process with no flow above it. */
      const staleGroup = async () => {
        const gone = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim();
        const stale = await Cgroup.create(layout, `${gone}-1`, { memoryBytes: 64 << 20, cpus: 1, pids: 16 });
        const orphan = spawn("sh", ["-c", `for f in ${stale.procsFiles.join(" ")}; do echo $$ > $f; done; exec sleep 60`], { detached: true, stdio: "ignore" });
        const ended = new Promise<string | null>((resolve) => orphan.on("exit", (_code, signal) => resolve(signal)));
        await new Promise((resolve) => setTimeout(resolve, 200));
        return { name: `${gone}-1`, ended };
      };
      // Every flow on the machine reaps such groups at its first sandbox, the test files beside this one included
      // (one did, in a suite under load): the group is made again until it is still there for this driver to reap.
      let group = await staleGroup();
      for (let tries = 1; tries < 5 && !flowGroups(layout).includes(group.name); tries++) {
        expect(await group.ended).toBe("SIGKILL");
        group = await staleGroup();
      }
      expect(flowGroups(layout)).toContain(group.name);
      await (await bwrapDriver({ projectDir, sessionAgent }).acquire(testRequest(await dirs.make(), "bwrap", { effects: [effect("proc")] }))).release();
      expect(flowGroups(layout)).not.toContain(group.name);
      expect(await group.ended).toBe("SIGKILL");
    });

    it.runIf(agent)("gives a session whose sandbox was started ahead (a spare) nothing of the session before: its own effects, tree, /tmp and limits", async () => {
      const layout = detectCgroups();
      if (layout === null) return;
      const driver = bwrapDriver({ projectDir, sessionAgent });
      /** The memory limit of the group a command of `s` runs in, read on the host: the sandbox cannot see its group. */
      const memoryLimit = async (s: SandboxSession): Promise<number> => {
        const marker = `flow-spare-${process.pid}-${Date.now()}`;
        const running = s.exec(`sleep 3; : ${marker}`, options({ timeoutMs: 300 }));
        let pid = "";
        while (pid === "") pid = spawnSync("pgrep", ["-f", marker], { encoding: "utf8" }).stdout.trim().split("\n")[0] ?? "";
        const lines = (await readFile(`/proc/${pid}/cgroup`, "utf8")).split("\n");
        const group = layout.version === 2 ? lines.find((line) => line.startsWith("0::")) : lines.find((line) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(line));
        const path = group?.split(":")[2] ?? "";
        const file = layout.version === 2 ? join(layout.root, path, "memory.max") : join(layout.memory, path, "memory.limit_in_bytes");
        const limit = Number((await readFile(file, "utf8")).trim());
        await running;
        return limit;
      };
      const session = async (effects: readonly Effect["name"][], profile: Partial<ResolvedProfile>) => {
        const taken = sparesTaken();
        const s = await driver.acquire(testRequest(await dirs.make(), "bwrap", { effects: effects.map(effect), profile }));
        sessions.push(s);
        return { s, spare: sparesTaken() > taken };
      };
      const forks = "for i in $(seq 20); do sleep 1 & done 2>&1; wait";

      const first = await session(["proc", "fs.write", "net"], { pids: 8, memoryMb: 48 });
      expect(await first.s.exec(`echo first > /tmp/mark && echo first > mark.txt && bash -c '${reachHost()}'`, options())).toMatchObject({ exit: 0, stdout: "hello from the host\n" });
      expect((await first.s.exec(forks, options())).stdout).toMatch(/Cannot fork|Resource temporarily unavailable/);
      expect(await memoryLimit(first.s)).toBe(48 * 1024 * 1024);
      await first.s.release();

      // The next session takes the spare started while the first ran, with other effects and limits.
      const second = await session(["proc", "fs.write"], { pids: 64, memoryMb: 96 });
      expect(second.spare).toBe(true);
      expect(await second.s.exec("ls -A /tmp /flow/work", options())).toMatchObject({ exit: 0, stdout: "/flow/work:\n\n/tmp:\n" });
      expect((await second.s.exec(`bash -c '${reachHost()}'`, options())).stderr).toMatch(/Connection refused/);
      const forked = await second.s.exec(forks, options());
      expect(forked.stdout + forked.stderr).not.toMatch(/Cannot fork|Resource temporarily unavailable/);
      expect(await memoryLimit(second.s)).toBe(96 * 1024 * 1024);
      await second.s.release();

      // And the one after has the first's limits again, not the second's.
      const third = await session(["proc"], { pids: 8, memoryMb: 48 });
      expect(third.spare).toBe(true);
      expect((await third.s.exec(forks, options())).stdout).toMatch(/Cannot fork|Resource temporarily unavailable/);
      expect(await memoryLimit(third.s)).toBe(48 * 1024 * 1024);
    });

    it.runIf(agent)("mounts each session's own tree into a sandbox made ahead: writable with fs.write, read-only with fs.read, none without; nothing of the session before", async () => {
      const driver = bwrapDriver({ projectDir, sessionAgent });
      const session = async (effects: readonly Effect["name"][], file: string) => {
        const dir = await dirs.make();
        await writeFile(join(dir, file), `${file}\n`);
        const before = sessionsMadeAhead();
        const s = await driver.acquire(testRequest(dir, "bwrap", { effects: effects.map(effect) }));
        sessions.push(s);
        return { s, madeAhead: sessionsMadeAhead() > before };
      };
      // Whether or not a sandbox of this shape was made ahead for the first, its first command has them made for the next.
      const first = await session(["proc", "fs.write"], "first.txt");
      expect(await first.s.exec("cat first.txt && echo made > made.txt && echo first > /tmp/first", options())).toMatchObject({ exit: 0, stdout: "first.txt\n" });
      await first.s.release();

      const second = await session(["proc", "fs.write"], "second.txt");
      expect(second.madeAhead).toBe(true);
      expect(await second.s.exec("ls -A /flow/work /tmp && echo written > written.txt && cat second.txt", options())).toMatchObject({ exit: 0, stdout: "/flow/work:\nsecond.txt\n\n/tmp:\nsecond.txt\n" });
      expect(await readFile(join(second.s.workTree, "written.txt"), "utf8")).toBe("written\n");
      // The first session's tree is not in the sandbox at any path: its host path is not there, and /flow/work is the second's.
      expect((await second.s.exec(`ls ${first.s.workTree}`, options())).exit).not.toBe(0);
      await second.s.release();

      const third = await session(["proc", "fs.read"], "third.txt");
      expect(third.madeAhead).toBe(true);
      expect((await third.s.exec("ls -A; cat third.txt", options())).stdout).toBe("third.txt\nthird.txt\n");
      const write = await third.s.exec("echo changed > third.txt", options());
      expect(write.exit).not.toBe(0);
      expect(write.stderr).toMatch(/Read-only file system/);
      expect(await readFile(join(third.s.workTree, "third.txt"), "utf8")).toBe("third.txt\n");
      await third.s.release();

      const fourth = await session(["proc"], "fourth.txt");
      expect(fourth.madeAhead).toBe(true);
      expect(await fourth.s.exec("ls -A /flow/work; echo x > /flow/work/x && echo wrote", options())).toMatchObject({ exit: 0, stdout: "wrote\n" });
      expect(existsSync(join(fourth.s.workTree, "x"))).toBe(false);
    });

    it.runIf(agent)("takes no sandbox made ahead for other effects: without `net` none made with it, without `proc` none made with it", async () => {
      const driver = bwrapDriver({ projectDir, sessionAgent });
      // A share of this test's own makes shapes no other test has spares of.
      const share = await dirs.make();
      const session = async (effects: readonly Effect["name"][]) => {
        const before = sessionsMadeAhead();
        const s = await driver.acquire(testRequest(await dirs.make(), "bwrap", { effects: effects.map(effect), profile: { share: [share] } }));
        sessions.push(s);
        return { s, madeAhead: sessionsMadeAhead() > before };
      };
      const withNet = await session(["proc", "net"]);
      expect(withNet.madeAhead).toBe(false);
      expect((await withNet.s.exec(`bash -c '${reachHost()}'`, options())).stdout).toBe("hello from the host\n");
      await withNet.s.release();

      const withoutNet = await session(["proc"]);
      expect(withoutNet.madeAhead).toBe(false);
      expect((await withoutNet.s.exec(`bash -c '${reachHost()}'`, options())).stderr).toMatch(/Connection refused/);
      await withoutNet.s.release();

      const withoutProc = await session(["net", "fs.write"]);
      expect(withoutProc.madeAhead).toBe(false);
      expect((await withoutProc.s.exec("ls /", options())).stderr).toMatch(/Cannot fork/);
      await withoutProc.s.release();

      // Each shape has its own now: the next session with `net` takes one, and reaches the host from it.
      const again = await session(["proc", "net"]);
      expect(again.madeAhead).toBe(true);
      expect((await again.s.exec(`bash -c '${reachHost()}'`, options())).stdout).toBe("hello from the host\n");
    });

    it("removes its group at release, killing what a command left behind", async () => {
      const layout = detectCgroups();
      if (layout === null) return;
      const s = await bwrapDriver({ projectDir, sessionAgent }).acquire(testRequest(await dirs.make(), "bwrap", { effects: [effect("proc")] }));
      await s.exec("sleep 60 >/dev/null 2>&1 & exit 0", options());
      // Groups come and go behind sessions (spares made, sandboxes ended after their release): counted once those are done.
      const settled = async () => {
        await sparesMade();
        await sandboxesEnded();
      };
      await settled();
      const mine = flowGroups(layout).filter((name) => name.startsWith(`${process.pid}-`));
      expect(mine.length).toBeGreaterThan(0);
      await s.release();
      await settled();
      expect(flowGroups(layout).filter((name) => name.startsWith(`${process.pid}-`)).length).toBe(mine.length - 1);
    });
  });

  it("without cgroups, limits the address space with prlimit and counts no CPU (a step is charged its time instead)", async () => {
    const driver = bwrapDriver({ projectDir, cgroupRoot: null, sessionAgent });
    const s = await driver.acquire(testRequest(await dirs.make(), "bwrap", { effects: [effect("proc")], profile: { memoryMb: 64 } }));
    sessions.push(s);
    expect(await s.cpuMs()).toBeNull();
    expect((await s.exec("echo small", options())).stdout).toBe("small\n");
    const big = await s.exec("head -c 100000000 /dev/zero | tail -c 1 >/dev/null; x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived", options());
    expect(big.stdout).not.toContain("survived");
    expect(big.exit, JSON.stringify(big)).not.toBe(0);
  });

  it("kills the whole sandbox when a command's timeout passes", async () => {
    const s = await sandbox(["proc"]);
    const marker = `flow-timeout-${process.pid}-${Date.now()}`;
    const result = await s.exec(`sh -c 'sleep 30; echo ${marker}' & sleep 30`, options({ timeoutMs: 300 }));
    expect(result.timedOut).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const left = spawnSync("pgrep", ["-f", marker], { encoding: "utf8" }).stdout.trim();
    expect(left).toBe("");
  });

  it.runIf(isStatic("/bin/busybox"))("runs on a profile's own root (`base`) instead of the host's /usr and /etc", async () => {
    const base = await dirs.make();
    await mkdir(join(base, "bin"));
    await copyFile("/bin/busybox", join(base, "bin", "busybox"));
    await chmod(join(base, "bin", "busybox"), 0o755);
    for (const applet of ["sh", "ls", "cat"]) await symlink("busybox", join(base, "bin", applet));
    const s = await sandbox(["proc", "fs.write"], { base });
    const result = await s.exec("ls /; ls /usr 2>&1; echo made > made.txt", options({ env: { PATH: "/bin" } }));
    expect(result.stdout).toMatch(/^bin\n/);
    expect(result.stdout).toMatch(/\/usr.*No such file/);
    expect(await readFile(join(s.workTree, "made.txt"), "utf8")).toBe("made\n");
  });

  it("says why when bwrap cannot make the sandbox", async () => {
    await expect(sandbox(["proc"], { base: "/nonexistent-root" })).rejects.toThrow(/has its root \(base\) at \/nonexistent-root, which does not exist/);
    const s = await sandbox(["proc"], { share: ["."] });
    await writeFile(join(projectDir, "gone.txt"), "");
    // A share that goes away after the session starts: bwrap itself fails, and says so.
    const gone = await sandbox(["proc"], { share: [join(projectDir, "gone.txt")] });
    await rm(join(projectDir, "gone.txt"));
    await expect(gone.exec("true", options())).rejects.toThrow(/could not start the sandbox: .*gone\.txt/);
    expect((await s.exec("true", options())).exit).toBe(0);
  });

  it("ends what a command left running when it ends, even a process that left its group", async () => {
    const s = await sandbox(["proc"]);
    const marker = `flow-stray-${process.pid}-${Date.now()}`;
    const result = await s.exec(`setsid sh -c 'sleep 30; echo ${marker}' >/dev/null 2>&1 & echo started`, options());
    expect(result).toMatchObject({ exit: 0, stdout: "started\n" });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(spawnSync("pgrep", ["-f", marker], { encoding: "utf8" }).stdout.trim()).toBe("");
    expect((await s.exec("echo next", options())).stdout).toBe("next\n");
  });

  it("leaves a running command's processes alone when another command of the session ends, even one that left its group", async () => {
    const s = await sandbox(["proc"]);
    const first = s.exec("setsid sh -c 'sleep 0.8; echo alive > /tmp/a' & sleep 1.2; cat /tmp/a", options());
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await s.exec("true", options())).exit).toBe(0);
    expect(await first).toMatchObject({ exit: 0, stdout: "alive\n" });
  });

  it("keeps each command to its effects, command after command: without `proc` the third is refused a child as the first was", async () => {
    const s = await sandbox(["fs.write"]);
    for (let i = 0; i < 3; i++) {
      const forked = await s.exec("ls /", options());
      expect(forked.stderr, `command ${i}`).toMatch(/Cannot fork/);
      expect((await s.exec(`echo ${i}`, options())).stdout).toBe(`${i}\n`);
    }
  });

  it.runIf(agent)("gives a command no hold on the agent: it cannot signal it, trace it, or reach its pipes to the host", async () => {
    const s = await sandbox(["proc"]);
    expect((await s.exec("echo first > /tmp/mark", options())).exit).toBe(0);
    expect((await s.exec("echo $PPID", options())).stdout).toBe("1\n");
    for (const attempt of ["cat /proc/1/environ", "head -c 1 /proc/1/mem", "readlink -v /proc/1/fd/1", "echo 'X 1 5' > /proc/1/fd/1", "cat /proc/1/fd/0"]) {
      const result = await s.exec(`${attempt} </dev/null`, options({ timeoutMs: 5_000 }));
      expect(result.exit, attempt).not.toBe(0);
      expect(result.stderr, attempt).toMatch(/Permission denied|Operation not permitted/);
    }
    expect(await s.exec("kill -9 1; kill -9 -1; sleep 0.2; cat /tmp/mark", options())).toMatchObject({ stdout: "first\n" });
    // The agent and the sandbox are what they were: the next command sees the session's /tmp.
    expect(await s.exec("cat /tmp/mark", options())).toMatchObject({ exit: 0, stdout: "first\n" });
  });

  it("sees only its own processes: the pid namespace is its own", async () => {
    const s = await sandbox(["proc"]);
    const pids = (await s.exec("ls /proc | grep -E '^[0-9]+$' | wc -l", options())).stdout.trim();
    expect(Number(pids)).toBeLessThan(10);
  });
});

/**
 * The spare helper mounts a session's tree in a sandbox made ahead, as
 * root, entering the sandbox's mount namespace: it must never mount one
 * anywhere else. Only a bwrap it started itself, and has not seen end, is
 * one it acts on: a process on the host with one child (what a sandbox's
 * bwrap looks like from outside) is refused, and so is a sandbox another
 * process made, and nothing is mounted in either. A request it cannot read
 * ends it: what follows one could not be told from the next request.
 */
describe.runIf(bwrapWorks())("the bwrap spare helper", () => {
  it("refuses to mount a tree for a process it did not start: a host process, or a sandbox another process made", async () => {
    const agent = await sandboxAgent();
    if (!("fd" in agent)) return;
    const attacher = await spareHelper(agent);
    if (!("attach" in attacher)) return;
    const tree = await dirs.make();
    await writeFile(join(tree, "secret"), "the session's\n");
    const host = spawn("sh", ["-c", "sleep 30; true"], { stdio: "ignore" });
    // A sandbox with a /flow/work of its own, as a spare has, made by bwrap started here: its pid 1 is bwrap's one child.
    const foreign = spawn(
      "bwrap",
      ["--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/flow", "--dir", "/flow/work", "--unshare-all", "--die-with-parent", "--", "sleep", "30"],
      { stdio: "ignore" },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    try {
      await expect(attacher.attach(host.pid as number, tree, "write")).rejects.toThrow(/not a sandbox this helper started/);
      expect(existsSync("/flow/work")).toBe(false);
      await expect(attacher.attach(foreign.pid as number, tree, "write")).rejects.toThrow(/not a sandbox this helper started/);
      const init = (await readFile(`/proc/${foreign.pid}/task/${foreign.pid}/children`, "utf8")).trim();
      expect(init).toMatch(/^\d+$/);
      expect(readdirSync(`/proc/${init}/root/flow/work`)).toEqual([]);
    } finally {
      host.kill("SIGKILL");
      foreign.kill("SIGKILL");
    }
  });

  it.each([
    ["an unknown request", "frobnicate\n"],
    ["an unknown access", "attach 1 sideways\n/\0"],
    ["counts out of range", "start tok 99999 0\n/x\0"],
    ["a malformed start", "start tok\n"],
  ])("ends at %s, answering nothing after its greeting", async (_what, request) => {
    const helper = spawn(await spareHelperBinary(), [], { stdio: ["pipe", "pipe", "ignore"] });
    let said = "";
    helper.stdout.on("data", (chunk: Buffer) => (said += chunk.toString("utf8")));
    const code = new Promise<number | null>((resolve) => helper.on("exit", (status) => resolve(status)));
    helper.stdin.write(request);
    const ended = await Promise.race([code, new Promise<"running">((resolve) => setTimeout(() => resolve("running"), 5000))]);
    if (ended === "running") helper.kill("SIGKILL");
    // Where it cannot work it says so and ends at once: nothing to test then.
    if (said.startsWith("unsupported ")) return;
    expect(ended).toBe(1);
    expect(said).toBe("ready\n");
  });
});

/**
 * The sandboxes' /etc is a copy flow makes in the temporary directory,
 * which is everyone's: made by mkdtemp (no one can make it first and
 * change it), readable by all; a killed flow's copies are removed by the
 * next, but only its user's own, never one another user may write in.
 */
describe("the sandboxes' copy of /etc", () => {
  it("is made fresh and readable by all, and only its user's own copies are reaped", async () => {
    const parent = await dirs.make();
    const dead = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim();
    const theirs = join(parent, `flow-etc-${dead}-abcdef`);
    const ours = join(parent, `flow-etc-${dead}-ghijkl`);
    await mkdir(theirs, { mode: 0o777 });
    await chmod(theirs, 0o777);
    await writeFile(join(theirs, "hosts"), "planted\n");
    await mkdir(ours, { mode: 0o755 });
    const view = new EtcView(["hostname"], parent);
    expect(existsSync(theirs)).toBe(true);
    expect(existsSync(ours)).toBe(false);
    const dir = view.dir();
    expect(dir.startsWith(join(parent, `flow-etc-${process.pid}-`))).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o755);
    expect(readdirSync(dir)).toEqual(existsSync("/etc/hostname") ? ["hostname"] : []);
  });
});

/**
 * The bwrap driver's C programs are run from flow's cache, the spare
 * helper as root: a cache another user can write to is refused, and so is
 * a program there that is not its user's alone (planted, or left writable).
 */
describe("the bwrap driver's programs in the cache", () => {
  const program = { name: "flow-test-program", what: "test program", source: "int main(void) { return 0; }\n" };

  it("are built into a cache only their user may write to, and run from there", async () => {
    const cache = join(await dirs.make(), "cache");
    const path = await staticBinary(program, cache);
    expect(spawnSync(path).status).toBe(0);
    expect(await staticBinary(program, cache)).toBe(path);
  });

  it("are not run from a cache that other users may write to, nor when the program there is not its user's alone", async () => {
    const open = join(await dirs.make(), "open");
    await mkdir(open, { mode: 0o777 });
    await chmod(open, 0o777);
    await expect(staticBinary(program, join(open, "cache"))).rejects.toThrow(`the bwrap driver's test program is not run from ${join(open, "cache")}: ${open} may be written by other users`);

    const cache = join(await dirs.make(), "cache");
    const path = await staticBinary(program, cache);
    await chmod(path, 0o777);
    await expect(staticBinary(program, cache)).rejects.toThrow(`${path} is not its user's alone`);
  });
});

/**
 * The agent's `--sandbox` mode ends every process it finds in /proc that no
 * running command owns: run anywhere but as the init of a pid namespace of
 * its own, that would be other processes (on the host, as root, every one
 * of the machine's). It refuses to start elsewhere. Tried only inside pid
 * namespaces bwrap makes, so that an agent that did not refuse could reach
 * nothing outside them; a sleeper beside it shows it killed nothing (the
 * agent before this check killed it).
 */
describe.runIf(bwrapWorks())("the bwrap session agent outside its sandbox", () => {
  const attempts = [
    { where: "as pid 2 of its namespace (bwrap's own init is pid 1)", args: ["--proc", "/proc", "--unshare-pid"] },
    { where: "as pid 1, but with the host's /proc", args: ["--unshare-pid", "--as-pid-1"] },
  ];
  it.each(attempts)("refuses to run $where, and kills nothing", async ({ args }) => {
    const agent = await sandboxAgent();
    if (!("fd" in agent)) return;
    // The sleeper ends by this script's SIGTERM (143), not by a SIGKILL of the agent's (137).
    const script = "sleep 30 & sleeper=$!; /proc/self/fd/3 --sandbox </dev/null; echo \"agent $?\"; kill $sleeper; wait $sleeper; echo \"sleeper $?\"";
    const bwrapArgs = ["--ro-bind", "/", "/", "--dev", "/dev", ...args, "--die-with-parent", "--cap-drop", "ALL", "--"];
    // With --as-pid-1 the agent itself is pid 1: it runs alone.
    const argv = args.includes("--as-pid-1") ? [...bwrapArgs, "/proc/self/fd/3", "--sandbox"] : [...bwrapArgs, "/bin/sh", "-c", script];
    const child = spawn("bwrap", argv, { stdio: ["ignore", "pipe", "pipe", agent.fd] });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", (status) => resolve(status)));
    expect(stderr).toMatch(/--sandbox runs only as pid 1 of a pid namespace of its own/);
    expect(stdout).not.toMatch(/^R 0/m);
    if (args.includes("--as-pid-1")) expect(code).toBe(2);
    else expect(stdout).toBe("agent 2\nsleeper 143\n");
  });
});
