/**
 * The QEMU command line of a microVM: pure, from what the VM is for.
 *
 * Every VM has the same devices, whether booted (a template) or restored
 * from one (a clone), because a migration stream only loads into a machine
 * of the same shape: a virtio-serial port named `agent` (the guest agent's
 * channel), one 9p share tagged `work`, and one virtio NIC. What differs
 * between clones is only where each device leads on this side:
 *
 * - the share is the node's work tree, `readonly=on` unless the node has
 *   `fs.write` (QEMU refuses writes itself, so a guest that remounts it
 *   read-write still cannot write), or an empty directory when the node
 *   may not read its tree;
 * - the NIC is QEMU's user-mode network (the host's 127.0.0.1 is 10.0.2.2
 *   in the guest) when the node has `net`, and otherwise a port of a hub
 *   connected to nothing, so that no packet leaves the VM whatever the
 *   guest does; the guest's NIC is bound only in the template for `net`, so without
 *   it there is no interface and a connection fails with "Network
 *   unreachable".
 */
export type Accelerator = "kvm" | "tcg";

/** Where the guest's RAM lives. */
export type RamBacking =
  /** Private, anonymous memory: a VM booted for its own sake (the accelerator probe). */
  | { readonly kind: "anonymous" }
  /** A file the template writes its RAM through to (share=on), so a snapshot need not copy it. */
  | { readonly kind: "template"; readonly path: string }
  /** The template's RAM file mapped copy-on-write (share=off): a clone reads its pages and writes its own. */
  | { readonly kind: "clone"; readonly path: string };

export interface MachineShape {
  readonly memoryMb: number;
  readonly vcpus: number;
}

export interface QemuCommandInput {
  readonly vmlinux: string;
  readonly initrd: string;
  readonly accelerator: Accelerator;
  readonly shape: MachineShape;
  /** The host CPU's frequency: the guest skips calibrating its TSC against the PIT, which hangs when two VMs boot at once under TCG. */
  readonly tscKhz: number | null;
  readonly ram: RamBacking;
  readonly share: { readonly path: string; readonly writable: boolean };
  readonly network: "none" | "user";
  readonly agentSocket: string;
  readonly qmpSocket: string;
  readonly consoleLog: string;
  /** Wait for a migration stream (given over QMP) instead of booting. */
  readonly incoming: boolean;
}

export const qemuBinary = "qemu-system-x86_64";

export function qemuCommand(input: QemuCommandInput): string[] {
  const { shape, ram, share } = input;
  const machine = [`microvm`, `accel=${input.accelerator}`];
  const memory: string[] = [];
  switch (ram.kind) {
    case "anonymous":
      break;
    case "template":
    case "clone":
      machine.push("memory-backend=ram0");
      memory.push("-object", `memory-backend-file,id=ram0,size=${shape.memoryMb}M,mem-path=${commaSafe(ram.path)},share=${ram.kind === "template" ? "on" : "off"}`);
      break;
  }
  // tsc=reliable: under TCG the guest's clocksource watchdog finds the TSC skewed against jiffies (the timer ticks
  // arrive late, not the TSC) and falls back to jiffies, which leaves the guest without high-resolution timers: every
  // sleep, poll timeout and timestamp in it is rounded to 4 ms.
  const append = ["console=ttyS0", "quiet", "panic=-1", "tsc=reliable", ...(input.tscKhz === null ? [] : [`tsc_early_khz=${input.tscKhz}`])];
  return [
    qemuBinary,
    "-M",
    machine.join(","),
    "-cpu",
    input.accelerator === "kvm" ? "host" : "max",
    "-m",
    String(shape.memoryMb),
    "-smp",
    String(shape.vcpus),
    ...memory,
    "-nodefaults",
    "-no-user-config",
    "-display",
    "none",
    // A guest that panics reboots (panic=-1), and QEMU then exits instead: a dead VM is seen as one.
    "-no-reboot",
    "-serial",
    `file:${input.consoleLog}`,
    "-kernel",
    input.vmlinux,
    "-initrd",
    input.initrd,
    "-append",
    append.join(" "),
    "-device",
    "virtio-serial-device",
    "-chardev",
    `socket,id=agent,path=${commaSafe(input.agentSocket)},server=on,wait=off`,
    "-device",
    "virtserialport,chardev=agent,name=agent",
    "-fsdev",
    `local,id=work,path=${commaSafe(share.path)},security_model=none${share.writable ? "" : ",readonly=on"}`,
    "-device",
    "virtio-9p-device,fsdev=work,mount_tag=work",
    "-netdev",
    input.network === "user" ? "user,id=net0" : "hubport,id=net0,hubid=0",
    "-device",
    // No guest announce: after a restore it makes the guest send gratuitous ARPs (for switches to learn where a
    // migrated VM went), ~20–40 ms of a clone's first moments under TCG, and QEMU's user-mode network has no switch.
    "virtio-net-device,netdev=net0,guest_announce=off",
    "-qmp",
    `unix:${commaSafe(input.qmpSocket)},server=on,wait=off`,
    ...(input.incoming ? ["-incoming", "defer"] : []),
  ];
}

/** QEMU's option syntax separates with commas; a comma inside a value is written twice. */
function commaSafe(path: string): string {
  return path.replaceAll(",", ",,");
}
