import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { knownAccelerator } from "../../interpreter/sandbox/microvm/accelerator.ts";
import { microvmCacheDir } from "../../interpreter/sandbox/microvm/cache-dir.ts";
import { ensureGuestImage, loadGuestImage, staleness } from "../../interpreter/sandbox/microvm/guest-image.ts";
import { MicrovmError } from "../../interpreter/sandbox/microvm/microvm-error.ts";
import { microvmDriver } from "../../interpreter/sandbox/microvm/microvm-driver.ts";
import { builtInProfile } from "../../interpreter/sandbox/profile.ts";
import { exitCodes } from "../exit-codes.ts";
import type { CommandIo } from "../io.ts";

/**
 * `flow sandbox build [--force]`: builds the microVM guest image into the
 * cache (or says it is current), then readies what the first run would
 * otherwise wait for: which accelerator works here, and the templates of the
 * default profile's machine (without and with network), booted and saved.
 */
export async function sandboxBuild(options: { readonly force: boolean }, io: CommandIo): Promise<number> {
  const cacheDir = microvmCacheDir();
  try {
    const outcome = await ensureGuestImage(join(cacheDir, "image"), { force: options.force });
    switch (outcome.kind) {
      case "built":
        // Templates are of the old image: they would never be restored again.
        await rm(join(cacheDir, "templates"), { recursive: true, force: true });
        io.out(`built the guest image in ${outcome.image.dir} (${outcome.reason}): kernel ${outcome.image.manifest.kernelRelease}\n`);
        break;
      case "current":
        io.out(`the guest image in ${outcome.image.dir} is current (kernel ${outcome.image.manifest.kernelRelease}); --force rebuilds it\n`);
        break;
    }
    const driver = microvmDriver({ cacheDir });
    try {
      const pool = await driver.pool(null);
      const started = Date.now();
      const shape = { memoryMb: builtInProfile.memoryMb, vcpus: Math.ceil(builtInProfile.cpus) };
      await pool.template(shape);
      await pool.template(shape, true);
      const verdict = await knownAccelerator(cacheDir);
      io.out(`accelerator: ${verdict?.accelerator ?? "unknown"}${verdict === null ? "" : ` (${verdict.reason})`}\n`);
      io.out(`templates for ${builtInProfile.memoryMb} MiB, ${Math.ceil(builtInProfile.cpus)} vCPU, without and with network, ready (${Date.now() - started} ms)\n`);
    } finally {
      await driver.close();
    }
    return exitCodes.ok;
  } catch (error) {
    return failed(error, io);
  }
}

/** `flow sandbox status [--json]`: the cache, the image and what it was built from, the accelerator, the templates. */
export async function sandboxStatus(options: { readonly json: boolean }, io: CommandIo): Promise<number> {
  const cacheDir = microvmCacheDir();
  const imageDir = join(cacheDir, "image");
  const image = await loadGuestImage(imageDir);
  const files = "problem" in image ? [] : await Promise.all(["vmlinux", "initrd.gz", "image.json"].map(async (name) => ({ name, bytes: (await stat(join(imageDir, name))).size })));
  const stale = "problem" in image ? null : await staleness(image.manifest);
  const accelerator = await knownAccelerator(cacheDir);
  const templates = (await readdir(join(cacheDir, "templates")).catch(() => [] as string[])).filter((name) => !name.startsWith("."));
  const report = {
    cacheDir,
    image: "problem" in image ? { problem: image.problem } : { dir: imageDir, files, kernelRelease: image.manifest.kernelRelease, builtAt: image.manifest.builtAt, stale },
    accelerator,
    templates,
  };
  if (options.json) {
    io.out(`${JSON.stringify(report, null, 2)}\n`);
    return exitCodes.ok;
  }
  io.out(`cache: ${cacheDir}\n`);
  if ("problem" in image) io.out(`image: none (${image.problem}); \`flow sandbox build\` builds it\n`);
  else {
    io.out(`image: ${imageDir}, kernel ${image.manifest.kernelRelease}, built ${image.manifest.builtAt}${stale === null ? "" : `, stale: ${stale}`}\n`);
    for (const file of files) io.out(`  ${file.name}  ${file.bytes} bytes\n`);
  }
  io.out(`accelerator: ${accelerator === null ? "not probed since this machine booted" : `${accelerator.accelerator} (${accelerator.reason})`}\n`);
  io.out(`templates: ${templates.length === 0 ? "none" : templates.join(", ")}\n`);
  return exitCodes.ok;
}

function failed(error: unknown, io: CommandIo): number {
  if (!(error instanceof MicrovmError)) throw error;
  io.err(`flow: ${error.message}\n${error.hint === undefined ? "" : `${error.hint}\n`}`);
  return exitCodes.failed;
}
