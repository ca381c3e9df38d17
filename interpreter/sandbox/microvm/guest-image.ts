import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { z } from "zod";
import agentSource from "./guest-agent.c?raw";
import initScript from "./guest-init.sh?raw";
import { type CpioEntry, gzippedCpio } from "./cpio-archive.ts";
import { MicrovmError } from "./microvm-error.ts";

/**
 * The guest a microVM boots, built on this machine from its Debian
 * packages: `linux-image-amd64`'s kernel, decompressed to the `vmlinux` QEMU
 * boots directly through PVH (1.95 s to a ready agent under TCG, against
 * 4.2 s for the compressed vmlinuz), and an initramfs with
 * `busybox-static`, the virtio and 9p modules that kernel needs, the init
 * script and the agent (compiled here, statically).
 *
 * An image directory holds `vmlinux`, `initrd.gz` and `image.json`, which
 * records what it was built from; a cached image whose sources changed (a
 * kernel upgrade, a new agent) is rebuilt before use.
 */
export const imageFormat = 1;

const SourceFile = z.strictObject({ path: z.string(), size: z.number(), mtimeMs: z.number() });

export const ImageManifest = z.strictObject({
  format: z.number(),
  kernelRelease: z.string(),
  /** The host files the image was made from, as they were: a change to one makes the image stale. */
  sources: z.array(SourceFile),
  /** sha256 of the agent's and the init script's text. */
  guestSha256: z.string(),
  /** Loaded at boot, in this order. */
  modules: z.array(z.string()),
  builtAt: z.string(),
});
export type ImageManifest = z.infer<typeof ImageManifest>;

export interface GuestImage {
  readonly dir: string;
  readonly vmlinux: string;
  readonly initrd: string;
  readonly manifest: ImageManifest;
  /** Names this build of the image: templates booted from another build are not restored into this one. */
  readonly id: string;
}

/** The modules a VM needs: its devices are virtio-mmio, found through microvm's ACPI tables (the NIC's is loaded in every VM, and bound only in those granted `net`). */
const guestModules = ["virtio_mmio", "virtio_console", "9pnet_virtio", "9p", "virtio_net"];

/** The image at `dir`, or why there is none usable. */
export async function loadGuestImage(dir: string): Promise<GuestImage | { readonly problem: string }> {
  let manifest: ImageManifest;
  try {
    manifest = ImageManifest.parse(JSON.parse(await readFile(join(dir, "image.json"), "utf8")));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    return { problem: missing ? `no guest image in ${dir}` : `the guest image in ${dir} has an unreadable image.json` };
  }
  for (const file of ["vmlinux", "initrd.gz"]) {
    if (!existsSync(join(dir, file))) return { problem: `the guest image in ${dir} lacks ${file}` };
  }
  const id = createHash("sha256").update(JSON.stringify(manifest)).digest("hex").slice(0, 16);
  return { dir, vmlinux: join(dir, "vmlinux"), initrd: join(dir, "initrd.gz"), manifest, id };
}

/** Why an image built from `manifest` no longer matches this machine and this flow, or null when it does. */
export async function staleness(manifest: ImageManifest): Promise<string | null> {
  if (manifest.format !== imageFormat) return `it has format ${manifest.format}, this flow builds ${imageFormat}`;
  if (manifest.guestSha256 !== guestSha256()) return "this flow's guest agent differs from the one in the image";
  for (const source of manifest.sources) {
    const now = await stat(source.path).catch(() => null);
    if (now === null) return `${source.path} is gone`;
    if (now.size !== source.size || now.mtimeMs !== source.mtimeMs) return `${source.path} changed`;
  }
  const kernel = await findKernel().catch(() => null);
  if (kernel !== null && kernel.release !== manifest.kernelRelease) return `kernel ${kernel.release} is installed, the image has ${manifest.kernelRelease}`;
  return null;
}

export type BuildOutcome = { readonly kind: "built"; readonly image: GuestImage; readonly reason: string } | { readonly kind: "current"; readonly image: GuestImage };

/**
 * The image in `dir`, built first when it is missing, stale or `force`d.
 * Built beside it and renamed into place, so a process booting from the old
 * one meanwhile is not disturbed, and two builds at once both end whole.
 */
export async function ensureGuestImage(dir: string, options: { readonly force?: boolean } = {}): Promise<BuildOutcome> {
  const existing = await loadGuestImage(dir);
  let reason: string;
  if ("problem" in existing) reason = existing.problem;
  else if (options.force === true) reason = "a rebuild was asked for";
  else {
    const stale = await staleness(existing.manifest);
    if (stale === null) return { kind: "current", image: existing };
    reason = `the image is stale: ${stale}`;
  }
  const building = `${dir}.building-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await buildInto(building);
    const old = `${dir}.old-${process.pid}-${randomBytes(4).toString("hex")}`;
    await rename(dir, old).catch(() => undefined);
    await rename(building, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another build finished first: its image is as good as this one.
      if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
    });
    await rm(old, { recursive: true, force: true });
  } finally {
    await rm(building, { recursive: true, force: true });
  }
  const built = await loadGuestImage(dir);
  if ("problem" in built) throw new MicrovmError(`building the guest image failed: ${built.problem}`);
  return { kind: "built", image: built, reason };
}

async function buildInto(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const kernel = await findKernel();
  const busybox = findBusybox();
  const modules = await resolveModules(kernel.modulesDir, guestModules);

  await writeFile(join(dir, "vmlinux"), await decompressKernel(kernel.vmlinuz));
  const agent = await compileAgent(dir);
  const entries: CpioEntry[] = [
    ...["bin", "dev", "etc", "lib", "lib/modules", "proc", "root", "sbin", "sys", "tmp", "usr", "usr/bin", "usr/sbin", "work"].map((path) => ({ kind: "directory" as const, path })),
    // The kernel opens it for /init's standard streams before anything is mounted.
    { kind: "char-device", path: "dev/console", major: 5, minor: 1 },
    { kind: "file", path: "bin/busybox", data: await readFile(busybox), executable: true },
    { kind: "symlink", path: "bin/sh", target: "busybox" },
    { kind: "file", path: "init", data: Buffer.from(initScript), executable: true },
    { kind: "file", path: "bin/flow-agent", data: agent, executable: true },
    { kind: "file", path: "lib/modules/order", data: Buffer.from(modules.map((module) => `${module.name}\n`).join("")), executable: false },
  ];
  for (const module of modules) entries.push({ kind: "file", path: `lib/modules/${module.name}.ko`, data: await moduleBytes(module.path), executable: false });
  await writeFile(join(dir, "initrd.gz"), gzippedCpio(entries));

  const sourcePaths = [kernel.vmlinuz, busybox, ...modules.map((module) => module.path)];
  const manifest: ImageManifest = {
    format: imageFormat,
    kernelRelease: kernel.release,
    sources: await Promise.all(sourcePaths.map(async (path) => ({ path, ...(await sizeAndTime(path)) }))),
    guestSha256: guestSha256(),
    modules: modules.map((module) => module.name),
    builtAt: new Date().toISOString(),
  };
  await writeFile(join(dir, "image.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}

function guestSha256(): string {
  return createHash("sha256").update(agentSource).update("\0").update(initScript).digest("hex");
}

async function sizeAndTime(path: string): Promise<{ size: number; mtimeMs: number }> {
  const info = await stat(path);
  return { size: info.size, mtimeMs: info.mtimeMs };
}

const installHint = "Install the guest's packages: apt-get install qemu-system-x86 busybox-static linux-image-amd64 gcc libc6-dev";

/** The newest /boot/vmlinuz-RELEASE whose modules are installed. */
async function findKernel(): Promise<{ readonly release: string; readonly vmlinuz: string; readonly modulesDir: string }> {
  const releases = (await readdir("/boot").catch(() => [] as string[]))
    .filter((name) => name.startsWith("vmlinuz-"))
    .map((name) => name.slice("vmlinuz-".length))
    .filter((release) => existsSync(join("/lib/modules", release, "modules.dep")))
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const release = releases.at(-1);
  if (release === undefined) throw new MicrovmError("no kernel with modules to build the guest from (/boot/vmlinuz-* with /lib/modules/*)", installHint);
  return { release, vmlinuz: join("/boot", `vmlinuz-${release}`), modulesDir: join("/lib/modules", release) };
}

function findBusybox(): string {
  for (const path of ["/bin/busybox", "/usr/bin/busybox"]) {
    if (!existsSync(path)) continue;
    // A dynamically linked busybox would need the host's libc in the guest.
    const file = spawnSync("file", ["-bL", path], { encoding: "utf8" });
    if (file.status !== 0 || file.stdout.includes("statically linked")) return path;
  }
  throw new MicrovmError("no statically linked busybox to build the guest from", installHint);
}

interface KernelModule {
  readonly name: string;
  readonly path: string;
}

/** `wanted` and what they depend on, dependencies first (as modprobe would load them), leaving out built-ins. */
async function resolveModules(modulesDir: string, wanted: readonly string[]): Promise<KernelModule[]> {
  const dependencies = new Map<string, { path: string; needs: string[] }>();
  for (const line of (await readFile(join(modulesDir, "modules.dep"), "utf8")).split("\n")) {
    const [file, rest] = line.split(":");
    if (file === undefined || rest === undefined) continue;
    dependencies.set(moduleName(file), { path: join(modulesDir, file), needs: rest.trim().split(/\s+/).filter(Boolean).map(moduleName) });
  }
  const builtIn = new Set(
    (await readFile(join(modulesDir, "modules.builtin"), "utf8").catch(() => ""))
      .split("\n")
      .filter(Boolean)
      .map(moduleName),
  );
  const order: KernelModule[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name) || builtIn.has(name)) return;
    seen.add(name);
    const module = dependencies.get(name);
    if (module === undefined) throw new MicrovmError(`kernel module ${name} is missing from ${modulesDir}`, installHint);
    module.needs.forEach(visit);
    order.push({ name, path: module.path });
  };
  wanted.forEach(visit);
  return order;
}

/** `kernel/fs/9p/9p.ko.xz` → `9p`; modules.dep and modules.builtin spell `-` and `_` alike. */
function moduleName(file: string): string {
  return basename(file).replace(/\.ko(\.xz|\.zst|\.gz)?$/, "").replaceAll("-", "_");
}

/** Module bytes as busybox's insmod takes them: uncompressed. */
async function moduleBytes(path: string): Promise<Buffer> {
  if (path.endsWith(".ko")) return readFile(path);
  if (path.endsWith(".ko.xz")) return pipeThrough(["xz", "-dc"], await readFile(path));
  if (path.endsWith(".ko.zst")) return pipeThrough(["zstd", "-dc"], await readFile(path));
  if (path.endsWith(".ko.gz")) return pipeThrough(["gzip", "-dc"], await readFile(path));
  throw new MicrovmError(`kernel module ${path} is compressed in a way this build does not know`);
}

/**
 * The kernel inside a bzImage: the payload is an xz stream (Debian's
 * kernels) or zstd, found by its magic bytes; decompressing the first
 * stream alone leaves the bzImage's trailer behind.
 */
async function decompressKernel(vmlinuz: string): Promise<Buffer> {
  const image = await readFile(vmlinuz);
  const xz = image.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
  if (xz >= 0) return pipeThrough(["xz", "-dc", "--single-stream"], image.subarray(xz));
  const zstd = image.indexOf(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
  if (zstd >= 0) return pipeThrough(["zstd", "-dcq"], image.subarray(zstd));
  throw new MicrovmError(`${vmlinuz} holds no xz or zstd payload to decompress`, "Use a Debian linux-image-amd64 kernel.");
}

function pipeThrough(argv: readonly [string, ...string[]], input: Buffer): Promise<Buffer> {
  const [command, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    // The decompressor stops reading at the end of its stream: what follows is not its to read.
    child.stdin.on("error", () => undefined);
    child.on("error", (error) => reject(new MicrovmError(`cannot run ${command}: ${error.message}`, "apt-get install xz-utils zstd")));
    child.on("close", (code) => {
      const output = Buffer.concat(out);
      // xz exits 1 with "trailing garbage" complaints after a whole first stream: the output is what counts.
      if (output.length > 0 && (code === 0 || command === "xz")) resolve(output);
      else reject(new MicrovmError(`${argv.join(" ")} failed: ${Buffer.concat(err).toString().trim()}`));
    });
    child.stdin.end(input);
  });
}

/** The agent, compiled statically so that it runs on busybox's libc-less root. */
async function compileAgent(dir: string): Promise<Buffer> {
  const source = join(dir, "flow-agent.c");
  const output = join(dir, "flow-agent");
  await writeFile(source, agentSource);
  const result = spawnSync("gcc", ["-static", "-Os", "-s", "-Wall", "-o", output, source], { encoding: "utf8" });
  await rm(source, { force: true });
  if (result.error !== undefined) throw new MicrovmError("building the guest agent needs a C compiler (gcc), which is not installed", installHint);
  if (result.status !== 0) throw new MicrovmError(`compiling the guest agent failed: ${result.stderr.trim().split("\n").slice(-3).join(" / ")}`, installHint);
  const bytes = await readFile(output);
  await rm(output, { force: true });
  return bytes;
}
