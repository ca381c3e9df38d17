import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Effect } from "../compiler/ir/effect.ts";
import { microvmDriver, type MicrovmDriver } from "../interpreter/sandbox/microvm/microvm-driver.ts";
import { qemuCommand } from "../interpreter/sandbox/microvm/qemu-command.ts";
import { reapOrphans } from "../interpreter/sandbox/microvm/runtime-dir.ts";
import type { ExecOptions, SandboxSession } from "../interpreter/sandbox/sandbox.ts";
import { bundleForNode } from "./support/bundle-for-node.ts";
import { TempDirs, testRequest } from "./support/std-runtime.ts";

/**
 * The microvm driver against real QEMU. One driver, so one template (one
 * machine shape: 256 MiB, one vCPU) for the whole file: booting it is the
 * slow part under TCG (~2–5 s), and every test then restores a clone of it
 * in a few hundred milliseconds. The image and template are kept in flow's
 * cache (FLOW_CACHE_DIR, or ~/.cache/flow/microvm), as users get them.
 */
const hasQemu = spawnSync("qemu-system-x86_64", ["--version"]).error === undefined;
if (!hasQemu) console.warn("sandbox-microvm: qemu-system-x86_64 is not installed; skipping (apt-get install qemu-system-x86 busybox-static linux-image-amd64)");

const dirs = new TempDirs();
const memoryMb = 256;
let driver: MicrovmDriver;

const effects = (...names: Array<Effect["name"]>): Effect[] => names.map((name) => ({ name, scope: null }));
const options = (more: Partial<ExecOptions> = {}): ExecOptions => ({ timeoutMs: 20_000, env: {}, signal: new AbortController().signal, ...more });

async function session(granted: readonly Effect[], workTree?: string): Promise<SandboxSession> {
  return driver.acquire(testRequest(workTree ?? (await dirs.make("flow-vm-")), "microvm", { effects: granted, profile: { memoryMb } }));
}

/** Runs `body` with a session, releasing it after. */
async function inVm<T>(granted: readonly Effect[], body: (s: SandboxSession) => Promise<T>, workTree?: string): Promise<T> {
  const s = await session(granted, workTree);
  try {
    return await body(s);
  } finally {
    await s.release();
  }
}

describe.skipIf(!hasQemu)("the microvm driver", () => {
  beforeAll(async () => {
    driver = microvmDriver({ pool: { size: 4 } });
    // The image, the accelerator and the templates (without and with network), once for the file.
    const pool = await driver.pool(null);
    await pool.template({ memoryMb, vcpus: 1 });
    await pool.template({ memoryMb, vcpus: 1 }, true);
  }, 240_000);

  afterAll(async () => {
    await driver?.close();
    await dirs.removeAll();
  });

  it("runs sh -c in /work and returns exit, stdout and stderr apart", async () => {
    await inVm(effects("fs.read"), async (s) => {
      const result = await s.exec("pwd; echo out; echo err >&2; printf 'é😀'; exit 3", options());
      expect(result).toEqual({ exit: 3, stdout: "/work\nout\né😀", stderr: "err\n", timedOut: false, outOfMemory: false });
    });
  });

  it("gives the command only the profile's and the step's variables, streamed output, and a timeout", async () => {
    process.env.FLOW_TEST_HOST_SECRET = "leaked";
    try {
      await inVm(effects(), async (s) => {
        const chunks: string[] = [];
        const result = await s.exec('echo "$EXTRA|$FLOW_TEST_HOST_SECRET|$HOME"', options({ env: { EXTRA: "given" }, onOutput: (_, chunk) => chunks.push(chunk.toString()) }));
        expect(result.stdout).toBe("given||/root\n");
        expect(chunks.join("")).toBe("given||/root\n");
        const slow = await s.exec("echo started; sleep 20", options({ timeoutMs: 300 }));
        expect(slow).toMatchObject({ timedOut: true, exit: 137, stdout: "started\n" });
        // The VM goes on serving after a timeout.
        expect((await s.exec("echo again", options())).stdout).toBe("again\n");
      });
    } finally {
      delete process.env.FLOW_TEST_HOST_SECRET;
    }
  });

  it("kills the command when the step is aborted", async () => {
    await inVm(effects(), async (s) => {
      const controller = new AbortController();
      const running = s.exec("sleep 30", options({ signal: controller.signal }));
      setTimeout(() => controller.abort(new Error("given up")), 200);
      await expect(running).rejects.toThrow("given up");
    });
  });

  describe("fs.write", () => {
    it("with it, the command writes the work tree, and what it writes elsewhere stays in the VM", async () => {
      const workTree = await dirs.make("flow-vm-");
      const marker = `flow-test-${process.pid}-${Date.now()}`;
      await inVm(
        effects("fs.read", "fs.write", "proc"),
        async (s) => {
          const result = await s.exec(`echo made > made.txt && mkdir -p sub && echo deep > sub/d.txt && echo x > /etc/${marker} && cat /etc/${marker}`, options());
          expect(result).toMatchObject({ exit: 0, stdout: "x\n" });
          expect(await s.readFile("sub/d.txt")).toBe("deep\n");
        },
        workTree,
      );
      expect(await readFile(join(workTree, "made.txt"), "utf8")).toBe("made\n");
      expect(existsSync(`/etc/${marker}`)).toBe(false);
    });

    it("without it, the work tree is readable but not writable, even after a remount in the guest", async () => {
      const workTree = await dirs.make("flow-vm-");
      await writeFile(join(workTree, "given.txt"), "given\n");
      await inVm(
        effects("fs.read", "proc"),
        async (s) => {
          expect((await s.exec("cat given.txt", options())).stdout).toBe("given\n");
          const write = await s.exec("echo no > new.txt", options());
          expect(write.exit).not.toBe(0);
          expect(write.stderr).toMatch(/Read-only file system/);
          // The guest is root: it may remount its side read-write, and QEMU (readonly=on) still refuses.
          const remounted = await s.exec("mount -o remount,rw /work; echo no > new.txt; echo no >> given.txt", options());
          expect(remounted.exit).not.toBe(0);
        },
        workTree,
      );
      expect(existsSync(join(workTree, "new.txt"))).toBe(false);
      expect(await readFile(join(workTree, "given.txt"), "utf8")).toBe("given\n");
    });

    it("without fs.read either, /work is empty and the tree is not reachable", async () => {
      const workTree = await dirs.make("flow-vm-");
      await writeFile(join(workTree, "hidden.txt"), "hidden\n");
      await inVm(
        effects("proc"),
        async (s) => {
          // The guest is root: it mounts the share itself, and finds the empty directory the driver gave it.
          const result = await s.exec("ls -A /work; cat /work/hidden.txt; mkdir -p /mnt && mount -t 9p -o trans=virtio,version=9p2000.L work /mnt && ls -A /mnt", options());
          expect(result.stdout).toBe("");
          expect(result.stderr).toMatch(/hidden.txt.*No such file/);
        },
        workTree,
      );
    });

    it("refuses a profile that shares host directories, which it cannot give a clone", async () => {
      const request = testRequest(await dirs.make("flow-vm-"), "microvm", { effects: effects("fs.read"), profile: { memoryMb, share: ["/etc"] } });
      await expect(driver.acquire(request)).rejects.toThrow(/shares \/etc, which the microvm driver cannot share yet/);
    });

    it("no host file outside the share is reachable", async () => {
      const secretDir = await dirs.make("flow-vm-secret-");
      await writeFile(join(secretDir, "secret"), "s3cret\n");
      await inVm(effects("fs.read", "fs.write", "proc"), async (s) => {
        const result = await s.exec(`cat ${join(secretDir, "secret")}; cat /work/../../${secretDir}/secret; cat /work/../../../../etc/hostname`, options());
        expect(result.stdout).toBe("");
        expect(result.stderr).toMatch(/No such file/);
      });
    });
  });

  describe("net", () => {
    let server: Server;
    let port: number;
    beforeAll(async () => {
      server = createServer((_, response) => response.end("hello from the host\n"));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("with it, a server on the host's 127.0.0.1 answers at 10.0.2.2", async () => {
      await inVm(effects("net", "proc"), async (s) => {
        const result = await s.exec(`wget -q -O - http://10.0.2.2:${port}/`, options());
        expect(result).toMatchObject({ exit: 0, stdout: "hello from the host\n" });
      });
    });

    it("without it, there is no interface, and one the guest brings up itself leads nowhere", async () => {
      await inVm(effects("proc"), async (s) => {
        // (busybox's wget -T crashes here: `timeout` bounds it instead.)
        const plain = await s.exec(`ls /sys/class/net; timeout 5 wget -q -O - http://10.0.2.2:${port}/`, options());
        expect(plain.stdout).toBe("lo\n");
        expect(plain.stderr).toMatch(/Network is unreachable/);
        // The guest is root: it binds the NIC and configures it; the device's host side is a hub with nothing on it.
        const forced = await s.exec(
          `for d in /sys/bus/virtio/devices/*; do [ "$(cat $d/device)" = 0x0001 ] && echo \${d##*/} > /sys/bus/virtio/drivers/virtio_net/bind; done; ` +
            `ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2 && timeout 5 wget -q -O - http://10.0.2.2:${port}/`,
          options(),
        );
        expect(forced.stdout).toBe("");
        expect(forced.exit).not.toBe(0);
      });
    });
  });

  describe("proc", () => {
    it("with it, the command starts processes", async () => {
      await inVm(effects("proc"), async (s) => {
        expect(await s.exec("echo piped | cat; ls / >/dev/null && echo forked", options())).toMatchObject({ exit: 0, stdout: "piped\nforked\n" });
      });
    });

    // With proc, commands run in subshells of one session shell (guest-agent.c): each must still start clean.
    it("with it, a command sees nothing an earlier one set: variables, directory, traps, umask", async () => {
      await inVm(effects("proc"), async (s) => {
        const first = await s.exec("X=1; export Y=2; cd /tmp; umask 077; trap 'echo trapped' EXIT; echo set", options());
        expect(first).toMatchObject({ exit: 0, stdout: "set\ntrapped\n" });
        const second = await s.exec('pwd; echo "${X-unset} ${Y-unset}"; umask; trap', options());
        expect(second).toMatchObject({ exit: 0, stdout: "/work\nunset unset\n0022\n", stderr: "" });
        expect(await s.exec("exit 7", options())).toMatchObject({ exit: 7 });
        expect(await s.exec("false", options())).toMatchObject({ exit: 1 });
      });
    });

    it("with it, what a command leaves running is ended, and its output up to then is the command's", async () => {
      await inVm(effects("proc"), async (s) => {
        const left = await s.exec("sleep 30 & echo $!", options());
        expect(left.exit).toBe(0);
        const pid = left.stdout.trim();
        expect(await s.exec(`kill -0 ${pid} 2>/dev/null && echo running || echo ended`, options())).toMatchObject({ stdout: "ended\n" });
        expect(await s.exec("echo next", options())).toMatchObject({ exit: 0, stdout: "next\n" });
      });
    });

    it("with it, a command times out, large output arrives whole, and commands may run at once", async () => {
      await inVm(effects("proc"), async (s) => {
        expect(await s.exec("echo started; sleep 20", options({ timeoutMs: 300 }))).toMatchObject({ timedOut: true, exit: 137, stdout: "started\n" });
        const large = await s.exec("seq 1 30000", options());
        expect(large.stdout.split("\n")).toHaveLength(30_001);
        const both = await Promise.all(["a", "b"].map((name) => s.exec(`sleep 0.2; echo ${name}`, options())));
        expect(both.map((result) => result.stdout)).toEqual(["a\n", "b\n"]);
      });
    });

    it("without it, the shell cannot start a child process", async () => {
      await inVm(effects(), async (s) => {
        const result = await s.exec("echo piped | cat; ls /; echo after", options());
        expect(result.stderr).toMatch(/can't fork/);
        expect(result.stdout).not.toContain("piped");
        // Builtins still run, and a single command replaces the shell rather than starting a child.
        expect((await s.exec("echo builtin", options())).stdout).toBe("builtin\n");
      });
    });
  });

  it("kills a memory hog at the VM's memory and says so", async () => {
    await inVm(effects("proc"), async (s) => {
      // One buffer of 200 MiB: less than the VM's RAM (so the allocation itself succeeds), more than a command may use.
      const result = await s.exec("dd if=/dev/zero of=/dev/null bs=200M count=1", options({ timeoutMs: 60_000 }));
      expect(result).toMatchObject({ outOfMemory: true, exit: 137, timedOut: false });
      expect((await s.exec("echo alive", options())).stdout).toBe("alive\n");
    });
  });

  it("reseeds every clone's RNG and sets its clock, and accounts its CPU time", async () => {
    const draws = await Promise.all(
      [1, 2].map(() =>
        inVm(effects("proc"), async (s) => {
          const before = Math.floor(Date.now() / 1000);
          const result = await s.exec("head -c 16 /dev/urandom | od -An -tx1; date +%s; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done", options({ timeoutMs: 60_000 }));
          const after = Math.ceil(Date.now() / 1000);
          const [random, seconds] = result.stdout.trim().split("\n");
          // The template's clock stopped when it was saved: a clone is set to now (within the command's run, however loaded the machine).
          expect(Number(seconds)).toBeGreaterThanOrEqual(before - 1);
          expect(Number(seconds)).toBeLessThanOrEqual(after + 1);
          expect(await s.cpuMs()).toBeGreaterThan(0);
          return random;
        }),
      ),
    );
    expect(draws[0]).not.toBe(draws[1]);
  });

  it("leaves no QEMU behind when the flow process holding a VM is killed", async () => {
    const child = await bundleChild();
    const holder = spawn(process.execPath, [child], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env } });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = "";
      holder.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = /qemu (\d+)/.exec(out);
        if (match !== null) resolve(Number(match[1]));
      });
      holder.on("exit", (code) => reject(new Error(`the holder exited (${code}) before its VM ran: ${out}`)));
    });
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    holder.kill("SIGKILL");
    const until = Date.now() + 5000;
    while (Date.now() < until && (await running(pid))) await new Promise((r) => setTimeout(r, 50));
    expect(await running(pid)).toBe(false);
    // What it leaves is files: the next driver to start reaps its runtime directory (one in a test file running beside
    // this one may have already).
    const left = async (): Promise<string[]> => (await readdir(tmpdir())).filter((name) => name.startsWith(`flow-microvm-${holder.pid}-`));
    expect((await left()).length).toBeLessThanOrEqual(1);
    await reapOrphans();
    expect(await left()).toHaveLength(0);
  });
});

/**
 * The reaper runs as flow does, often as root, over the temporary
 * directory, which is everyone's: anyone can make a `flow-microvm-…`
 * directory there, with pid files naming any process. Only a directory of
 * this user's that no other may write in is reaped.
 */
describe("the microVM runtime directories' reaper", () => {
  const dead = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim();
  const startTime = async (pid: number): Promise<string> => {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] as string;
  };

  it("kills nothing and removes nothing of a directory another user may write to or owns, and reaps its own", async () => {
    const victim = spawn("sleep", ["30"], { stdio: "ignore" });
    const ended = new Promise<NodeJS.Signals | null>((resolve) => victim.once("exit", (_code, signal) => resolve(signal)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const victimPid = victim.pid as number;
    /** A runtime directory as a killed flow leaves it (its owner gone), whose VM's pid file names the victim. */
    const planted = async (mode: number, owner?: number): Promise<string> => {
      const dir = await mkdtemp(join(tmpdir(), `flow-microvm-${dead}-`));
      await mkdir(join(dir, "vm-1"));
      await writeFile(join(dir, "owner"), `${dead} 1\n`);
      await writeFile(join(dir, "vm-1", "qemu.pid"), `${victimPid} ${await startTime(victimPid)}\n`);
      await chmod(dir, mode);
      if (owner !== undefined) await chown(dir, owner, owner);
      return dir;
    };
    const open = await planted(0o777);
    const others = process.getuid?.() === 0 ? await planted(0o700, 65534) : null;
    try {
      await reapOrphans();
      expect(existsSync(open)).toBe(true);
      if (others !== null) expect(existsSync(others)).toBe(true);
      // A kill would be seen by now.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(victim.exitCode).toBeNull();
      expect(victim.signalCode).toBeNull();

      // Its own, as mkdtemp makes it (0700): the process it names is killed (a QEMU left running), the directory removed.
      const own = await planted(0o700);
      expect(await reapOrphans()).toBe(1);
      expect(existsSync(own)).toBe(false);
      expect(await ended).toBe("SIGKILL");
    } finally {
      victim.kill("SIGKILL");
      for (const dir of [open, others]) if (dir !== null) await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("qemu-command", () => {
  const input = {
    vmlinux: "/img/vmlinux",
    initrd: "/img/initrd.gz",
    accelerator: "tcg" as const,
    shape: { memoryMb: 512, vcpus: 2 },
    tscKhz: 2_400_000,
    ram: { kind: "clone" as const, path: "/t/ram" },
    share: { path: "/w,odd", writable: false },
    network: "none" as const,
    agentSocket: "agent.sock",
    qmpSocket: "qmp.sock",
    consoleLog: "console.log",
    incoming: true,
  };

  it("maps the profile and effects to the machine: memory, vCPUs, the share read-only, no host network, restore", () => {
    const argv = qemuCommand(input).join(" ");
    expect(argv).toContain("-M microvm,accel=tcg,memory-backend=ram0");
    expect(argv).toContain("-m 512 -smp 2");
    expect(argv).toContain("memory-backend-file,id=ram0,size=512M,mem-path=/t/ram,share=off");
    expect(argv).toContain("tsc_early_khz=2400000");
    expect(argv).toContain("path=/w,,odd,security_model=none,readonly=on");
    expect(argv).toContain("-netdev hubport,id=net0,hubid=0");
    expect(argv).toContain("-incoming defer");
  });

  it("writes the share and reaches the host's network only when granted", () => {
    const argv = qemuCommand({ ...input, share: { path: "/w", writable: true }, network: "user", ram: { kind: "template", path: "/t/ram" }, incoming: false }).join(" ");
    expect(argv).toContain("path=/w,security_model=none -device");
    expect(argv).toContain("-netdev user,id=net0");
    expect(argv).toContain("share=on");
    expect(argv).not.toContain("-incoming");
  });
});

async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return stat !== "" && !stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
}

/** test/support/microvm-holder.ts as a plain node program, its packages bundled in (it runs from a temporary directory). */
async function bundleChild(): Promise<string> {
  const entry = fileURLToPath(new URL("./support/microvm-holder.ts", import.meta.url));
  return bundleForNode(entry, join(await dirs.make("flow-vm-holder-"), "holder.mjs"), false);
}
