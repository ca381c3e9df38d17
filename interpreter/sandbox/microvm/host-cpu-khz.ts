import { readFile } from "node:fs/promises";

/**
 * The host CPU's frequency in kHz, for the guest's `tsc_early_khz`: with it
 * the guest kernel does not calibrate its TSC against the PIT, which under
 * TCG hung 27 times in 30 when two VMs booted at once. Null when
 * /proc/cpuinfo does not say (the guest then calibrates).
 */
export async function hostCpuKhz(): Promise<number | null> {
  const cpuinfo = await readFile("/proc/cpuinfo", "utf8").catch(() => "");
  const mhz = /^cpu MHz\s*:\s*([\d.]+)/m.exec(cpuinfo)?.[1];
  return mhz === undefined ? null : Math.round(Number(mhz) * 1000);
}
