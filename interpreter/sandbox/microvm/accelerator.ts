import { constants } from "node:fs";
import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { Accelerator } from "./qemu-command.ts";
import { bootVm, type TemplateSetting } from "./vm-template.ts";

/**
 * KVM or TCG. /dev/kvm opening is not enough: on a host that is itself a
 * VM with paravirtual KVM (`kvm_pvm`), the device opens and KVM_CREATE_VM
 * succeeds, but a stock guest crawls and dies with an emulation failure.
 * So KVM is used only when a VM booted under it reaches its agent within
 * `probeTimeoutMs` (a working KVM boots in well under a second); otherwise
 * TCG, emulation, ~12× slower in compute but working everywhere.
 *
 * The verdict is kept in the cache (`accelerator.json`) for this boot of
 * the machine (its boot id), so the probe's cost is paid once per boot, not
 * once per flow process. FLOW_MICROVM_ACCEL=kvm|tcg decides without a probe.
 */
const Verdict = z.strictObject({ bootId: z.string(), accelerator: z.enum(["kvm", "tcg"]), reason: z.string() });
export type AcceleratorVerdict = { readonly accelerator: Accelerator; readonly reason: string };

export const probeTimeoutMs = 8_000;

export async function chooseAccelerator(cacheDir: string, probe: Omit<TemplateSetting, "accelerator" | "templates" | "network" | "bootTimeoutMs">): Promise<AcceleratorVerdict> {
  const forced = process.env["FLOW_MICROVM_ACCEL"];
  if (forced === "kvm" || forced === "tcg") return { accelerator: forced, reason: "FLOW_MICROVM_ACCEL" };
  const bootId = (await readFile("/proc/sys/kernel/random/boot_id", "utf8").catch(() => "unknown")).trim();
  const file = join(cacheDir, "accelerator.json");
  const cached = Verdict.safeParse(await readFile(file, "utf8").then(JSON.parse, () => null));
  if (cached.success && cached.data.bootId === bootId) return cached.data;
  const verdict = await probeKvm(probe);
  await mkdir(cacheDir, { recursive: true });
  await writeFile(file, `${JSON.stringify({ bootId, ...verdict })}\n`);
  return verdict;
}

/** The verdict kept for this boot, without probing (`flow sandbox status`). */
export async function knownAccelerator(cacheDir: string): Promise<AcceleratorVerdict | null> {
  const bootId = (await readFile("/proc/sys/kernel/random/boot_id", "utf8").catch(() => "unknown")).trim();
  const cached = Verdict.safeParse(await readFile(join(cacheDir, "accelerator.json"), "utf8").then(JSON.parse, () => null));
  return cached.success && cached.data.bootId === bootId ? cached.data : null;
}

async function probeKvm(probe: Omit<TemplateSetting, "accelerator" | "templates" | "network" | "bootTimeoutMs">): Promise<AcceleratorVerdict> {
  try {
    await access("/dev/kvm", constants.R_OK | constants.W_OK);
  } catch {
    return { accelerator: "tcg", reason: "/dev/kvm is missing or not accessible" };
  }
  const started = Date.now();
  try {
    const vm = await bootVm({ ...probe, accelerator: "kvm", bootTimeoutMs: probeTimeoutMs }, { kind: "anonymous" }, "kvm-probe");
    vm.agent.close();
    await vm.process.kill();
    await probe.runtime.removeVmDir(vm.process.dir);
    return { accelerator: "kvm", reason: `a VM booted under KVM in ${Date.now() - started} ms` };
  } catch (error) {
    const first = (error as Error).message.split("\n")[0] ?? "";
    return { accelerator: "tcg", reason: `a VM did not boot under KVM within ${probeTimeoutMs / 1000} s (${first})` };
  }
}
