/**
 * The seccomp filter a `bwrap` sandbox runs under when its node is not
 * granted `proc`: threads may start, processes may not. A classic BPF
 * program, as `bwrap --seccomp FD` reads it (struct sock_filter: u16 code,
 * u8 jt, u8 jf, u32 k; little-endian), emitted here rather than compiled
 * with libseccomp, since it is 14 instructions.
 *
 * - another architecture than x86_64 (a 32-bit syscall entry) kills the process;
 * - x32 syscalls (the 0x40000000 bit) fail with EPERM;
 * - fork and vfork fail with EPERM;
 * - clone3 fails with ENOSYS, so libc falls back to clone, whose flags a
 *   classic filter can read (clone3's are behind a pointer);
 * - clone without CLONE_THREAD (a new process: fork, posix_spawn) fails
 *   with EPERM; with it (a thread) it is allowed;
 * - everything else is allowed: the namespaces, the read-only mounts and
 *   the dropped capabilities confine the rest.
 */

const enum Op {
  /** BPF_LD | BPF_W | BPF_ABS: load the 32-bit word at offset k of struct seccomp_data. */
  LoadWord = 0x20,
  /** BPF_JMP | BPF_JEQ | BPF_K */
  JumpIfEqual = 0x15,
  /** BPF_JMP | BPF_JSET | BPF_K: jump if (A & k) != 0. */
  JumpIfSet = 0x45,
  /** BPF_RET | BPF_K */
  Return = 0x06,
}

/** Offsets in struct seccomp_data. */
const syscallNumber = 0;
const architecture = 4;
/** The low 32 bits of the first argument (clone's flags on x86_64). */
const firstArgumentLow = 16;

const auditArchX86_64 = 0xc000003e;
const x32Bit = 0x40000000;
const cloneThread = 0x00010000;

/** x86_64 syscall numbers. */
const syscalls = { clone: 56, fork: 57, vfork: 58, clone3: 435 } as const;

const retKillProcess = 0x80000000;
const retAllow = 0x7fff0000;
const retErrno = 0x00050000;
const EPERM = 1;
const ENOSYS = 38;

type Label = "allow" | "eperm" | "enosys" | "checkFlags" | "next";
type Instruction = { readonly op: Op; readonly k: number; readonly jt?: Label; readonly jf?: Label; readonly label?: Label };

const program: readonly Instruction[] = [
  { op: Op.LoadWord, k: architecture },
  { op: Op.JumpIfEqual, k: auditArchX86_64, jt: "next" },
  { op: Op.Return, k: retKillProcess },
  { op: Op.LoadWord, k: syscallNumber, label: "next" },
  { op: Op.JumpIfSet, k: x32Bit, jt: "eperm" },
  { op: Op.JumpIfEqual, k: syscalls.fork, jt: "eperm" },
  { op: Op.JumpIfEqual, k: syscalls.vfork, jt: "eperm" },
  { op: Op.JumpIfEqual, k: syscalls.clone3, jt: "enosys" },
  { op: Op.JumpIfEqual, k: syscalls.clone, jt: "checkFlags", jf: "allow" },
  { op: Op.LoadWord, k: firstArgumentLow, label: "checkFlags" },
  { op: Op.JumpIfSet, k: cloneThread, jt: "allow", jf: "eperm" },
  { op: Op.Return, k: retAllow, label: "allow" },
  { op: Op.Return, k: retErrno | EPERM, label: "eperm" },
  { op: Op.Return, k: retErrno | ENOSYS, label: "enosys" },
];

/** The filter's bytes, ready to be written to the descriptor bwrap reads. */
export const noNewProcessesFilter: Buffer = assemble(program);

/** Resolves labels to the relative offsets BPF jumps take (target = pc + 1 + offset; no label falls through, offset 0). */
function assemble(instructions: readonly Instruction[]): Buffer {
  const at = new Map<Label, number>();
  instructions.forEach((instruction, index) => instruction.label !== undefined && at.set(instruction.label, index));
  const bytes = Buffer.alloc(instructions.length * 8);
  instructions.forEach((instruction, index) => {
    const offset = (label: Label | undefined): number => {
      if (label === undefined) return 0;
      const target = at.get(label);
      if (target === undefined || target <= index) throw new Error(`seccomp filter: no label ${label} after instruction ${index}`);
      return target - index - 1;
    };
    bytes.writeUInt16LE(instruction.op, index * 8);
    bytes.writeUInt8(offset(instruction.jt), index * 8 + 2);
    bytes.writeUInt8(offset(instruction.jf), index * 8 + 3);
    bytes.writeUInt32LE(instruction.k >>> 0, index * 8 + 4);
  });
  return bytes;
}
