import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GuestAgent } from "./guest-agent.ts";
import type { GuestImage } from "./guest-image.ts";
import { MicrovmError } from "./microvm-error.ts";
import { type Accelerator, type MachineShape, qemuBinary, qemuCommand, type QemuCommandInput } from "./qemu-command.ts";
import { QmpClient } from "./qmp.ts";
import type { RuntimeDir } from "./runtime-dir.ts";
import { VmProcess } from "./vm-process.ts";

/**
 * A booted guest, saved so that clones start from it instead of booting: its
 * RAM in a file (`ram`, written through by the running template, so saving
 * it costs nothing) and the rest of the machine's state in `state` (a
 * migration stream without the RAM: QEMU's `x-ignore-shared`).
 *
 * Templates are kept in the cache (`templates/KEY/`), not made once per
 * flow process: booting one costs ~2 s under TCG, which every `flow run`
 * would pay again, while restoring a clone from one on disk costs tens of
 * milliseconds. KEY names all that must match for a clone to restore: the
 * image's build, QEMU's version, the accelerator and the machine's shape. A
 * template is written beside its place and renamed into it, so it is never
 * seen half made, and never changed after: clones map its RAM copy-on-write.
 */
export interface VmTemplate {
  readonly dir: string;
  readonly ram: string;
  readonly state: string;
  readonly shape: MachineShape;
  readonly accelerator: Accelerator;
}

/** Changes when the devices or the way templates are made change, so old templates are not restored into new machines. */
const templateFormat = 4;

export interface TemplateSetting {
  readonly image: GuestImage;
  readonly accelerator: Accelerator;
  readonly shape: MachineShape;
  /** Whether the guest's NIC is bound and configured for QEMU's user-mode network before the template is saved. */
  readonly network: boolean;
  readonly tscKhz: number | null;
  /** The cache's directory of templates. */
  readonly templates: string;
  /** An empty directory: what the template's share shows. */
  readonly emptyDir: string;
  readonly runtime: RuntimeDir;
  readonly bootTimeoutMs: number;
}

export async function findOrMakeTemplate(setting: TemplateSetting): Promise<VmTemplate> {
  const key = templateKey(setting);
  const dir = join(setting.templates, key);
  const template: VmTemplate = { dir, ram: join(dir, "ram"), state: join(dir, "state"), shape: setting.shape, accelerator: setting.accelerator };
  if (existsSync(join(dir, "template.json"))) return template;
  const making = join(setting.templates, `.making-${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(making, { recursive: true });
  try {
    await bootAndSave(setting, making);
    await writeFile(join(making, "template.json"), `${JSON.stringify({ key, image: setting.image.id, accelerator: setting.accelerator, shape: setting.shape, network: setting.network, madeAt: new Date().toISOString() })}\n`);
    await rename(making, dir).catch((error: NodeJS.ErrnoException) => {
      // Another process made it first: theirs is as good.
      if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
    });
  } finally {
    await rm(making, { recursive: true, force: true });
  }
  return template;
}

/** Not the TSC frequency: it is read at boot only, and a clone is never booted; hosts whose reading drifts would otherwise never reuse a template. */
function templateKey(setting: TemplateSetting): string {
  const identity = [templateFormat, setting.image.id, qemuVersion(), setting.accelerator, setting.shape.memoryMb, setting.shape.vcpus, setting.network];
  return createHash("sha256").update(JSON.stringify(identity)).digest("hex").slice(0, 20);
}

let knownQemuVersion: string | undefined;

function qemuVersion(): string {
  knownQemuVersion ??= spawnSync(qemuBinary, ["--version"], { encoding: "utf8" }).stdout?.split("\n")[0] ?? "unknown";
  return knownQemuVersion;
}

/**
 * Boots the template with its RAM in `dir/ram`, waits for its agent (and its network, for a network template), and
 * saves the machine's state in `dir/state`. The VM is saved running, not stopped first: the migration stops it at
 * its end anyway, and a state saved running makes the clone run as soon as it is loaded, with no `cont` to wait for.
 */
async function bootAndSave(setting: TemplateSetting, dir: string): Promise<void> {
  const vm = await bootVm(setting, { kind: "template", path: join(dir, "ram") }, "template");
  try {
    if (setting.network) await vm.agent.networkUp();
    const qmp = await QmpClient.connect(join(vm.process.dir, "qmp.sock"), Date.now() + 10_000, () => vm.process.alive);
    try {
      await qmp.execute("migrate-set-capabilities", { capabilities: [{ capability: "x-ignore-shared", state: true }] });
      await qmp.execute("migrate", { uri: `exec:cat > ${shellQuote(join(dir, "state"))}` });
      await waitForMigration(qmp, Date.now() + 60_000);
    } finally {
      qmp.close();
    }
  } finally {
    vm.agent.close();
    await vm.process.kill();
    await setting.runtime.removeVmDir(vm.process.dir);
  }
}

export interface BootedVm {
  readonly process: VmProcess;
  readonly agent: GuestAgent;
}

/** Boots a VM from the image and waits until its agent answers (a template, or the accelerator probe). */
export async function bootVm(
  setting: Omit<TemplateSetting, "templates" | "network">,
  ram: QemuCommandInput["ram"],
  name: string,
): Promise<BootedVm> {
  let vm: VmProcess | undefined;
  try {
    vm = await VmProcess.start(
      qemuCommand({
        vmlinux: setting.image.vmlinux,
        initrd: setting.image.initrd,
        accelerator: setting.accelerator,
        shape: setting.shape,
        tscKhz: setting.tscKhz,
        ram,
        share: { path: setting.emptyDir, writable: false },
        network: "none",
        // Relative to the VM's directory, QEMU's working directory: short, as a socket's path must be.
        agentSocket: "agent.sock",
        qmpSocket: "qmp.sock",
        consoleLog: "console.log",
        incoming: false,
      }),
      setting.runtime,
      name,
    );
    const process = vm;
    const deadline = Date.now() + setting.bootTimeoutMs;
    const agent = await GuestAgent.connect(join(vm.dir, "agent.sock"), deadline, () => process.alive);
    try {
      await agent.ready(deadline, () => process.alive);
    } catch (error) {
      agent.close();
      throw error;
    }
    return { process: vm, agent };
  } catch (error) {
    if (vm === undefined) throw error;
    const diagnosis = await vm.diagnosis();
    await vm.kill();
    await setting.runtime.removeVmDir(vm.dir);
    throw new MicrovmError(`booting a microVM under ${setting.accelerator} failed: ${(error as Error).message}${diagnosis === "" ? "" : `\n${diagnosis}`}`);
  }
}

/** Polls until the outgoing (or incoming) migration has completed. */
export async function waitForMigration(qmp: QmpClient, deadline: number): Promise<void> {
  for (;;) {
    const info = (await qmp.execute("query-migrate")) as { status?: string; "error-desc"?: string };
    if (info.status === "completed") return;
    if (info.status === "failed" || info.status === "cancelled") throw new MicrovmError(`saving the VM failed: ${info["error-desc"] ?? info.status}`);
    if (Date.now() > deadline) throw new MicrovmError("saving the VM did not finish in time");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A path inside `exec:` (run by /bin/sh): single-quoted. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Whether a template's files are there (a `flow sandbox status` listing). */
export async function describeTemplate(dir: string): Promise<unknown> {
  return JSON.parse(await readFile(join(dir, "template.json"), "utf8")) as unknown;
}
