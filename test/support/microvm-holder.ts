import { readdir, readFile } from "node:fs/promises";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { microvmDriver } from "../../interpreter/sandbox/microvm/microvm-driver.ts";
import { testRequest } from "./std-runtime.ts";

/**
 * A flow process holding a microVM, for the crash test in
 * test/sandbox-microvm.test.ts: acquires a VM, prints "qemu PID" (its QEMU,
 * a child of this process) and waits to be killed.
 */
const driver = microvmDriver();
const workTree = await mkdtemp(join(tmpdir(), "flow-vm-holder-tree-"));
await driver.acquire(testRequest(workTree, "microvm", { profile: { memoryMb: 256 } }));
for (const entry of await readdir("/proc")) {
  const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (stat.includes("(qemu-system-x86") && Number(fields[1]) === process.pid) process.stdout.write(`qemu ${entry}\n`);
}
setInterval(() => undefined, 60_000);
