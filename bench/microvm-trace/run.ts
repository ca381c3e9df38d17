/**
 * `node scripts/bench.mjs microvm-trace [N]`: where a microVM round trip's
 * time goes, seen from inside the guest. It restores a clone granted
 * `proc`, turns on the guest kernel's tracing (sched switches, system calls,
 * user page faults), runs `true` N times back to back (20), and reads the
 * trace back: per command, how long each kind of task held the vCPU, and
 * its page faults and switches. bench/sandbox/microvm.ts gives the round
 * trip itself; this says what it is made of (bench/README.md quotes it).
 * Tracing costs the guest too: the parts come out somewhat inflated.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { microvmCacheDir } from "../../interpreter/sandbox/microvm/cache-dir.ts";
import { microvmDriver } from "../../interpreter/sandbox/microvm/microvm-driver.ts";
import { builtInProfile } from "../../interpreter/sandbox/profile.ts";

const commands = Number(process.argv[2] ?? 20);
const events = ["sched/sched_switch", "raw_syscalls/sys_enter", "exceptions/page_fault_user"];
const tracing = "/sys/kernel/tracing";
const start = [
  `mount -t tracefs nodev ${tracing} 2>/dev/null; cd ${tracing} || exit 1`,
  "echo 16384 > buffer_size_kb",
  ...events.map((event) => `echo 1 > events/${event}/enable`),
  "echo > trace; echo 1 > tracing_on",
  // Only what lies between the markers is counted: not this command's own end, nor the next one's start.
  "echo flow-start > trace_marker",
  "echo $$", // the session shell's pid (guest-agent.c): the other shells are the subshells it forks
].join("\n");
const stop = `echo flow-stop > ${tracing}/trace_marker; echo 0 > ${tracing}/tracing_on; cat ${tracing}/trace`;

const work = await mkdtemp(join(tmpdir(), "flow-bench-microvm-trace-"));
const driver = microvmDriver({ cacheDir: microvmCacheDir() });
try {
  const session = await driver.acquire({
    workTree: join(work, "tree"),
    start: { kind: "fresh" },
    effects: (["fs.read", "fs.write", "proc"] as const).map((name) => ({ name, scope: null })),
    profile: { ...builtInProfile, share: [], name: "bench", driver: "microvm", memoryMb: 256 },
    objects: join(work, "objects"),
  });
  const exec = { timeoutMs: 60_000, env: {}, signal: new AbortController().signal };
  const started = await session.exec(start, exec);
  if (started.exit !== 0) throw new Error(`the guest's tracing did not start: ${started.stderr}`);
  const began = performance.now();
  for (let i = 0; i < commands; i++) await session.exec("true", exec);
  const wallMs = (performance.now() - began) / commands;
  const trace = await session.exec(stop, exec);
  await session.release();
  report(trace.stdout, wallMs, started.stdout.trim());
} finally {
  await driver.close();
  await rm(work, { recursive: true, force: true });
}

/** Tasks by kind: the agent, the session shell, the subshells it forks (commands), idle, and the kernel's threads. */
function kind(task: string, sessionShell: string): string {
  if (task.startsWith("flow-agent")) return "agent";
  if (task === `sh-${sessionShell}`) return "session shell";
  if (task.startsWith("sh-")) return "subshells";
  if (task.startsWith("<idle>") || task.startsWith("swapper/")) return "idle";
  return "kernel threads";
}

function report(text: string, wallMs: number, sessionShell: string): void {
  const line = /^\s*(.+?-\d+)\s+\[\d+\]\s+\S+\s+([\d.]+): (\w+): (.*)$/;
  const held = new Map<string, number>();
  const faults = new Map<string, number>();
  const calls = new Map<string, number>();
  let current = "subshells";
  let first: number | null = null;
  let since = 0;
  let last = 0;
  let switches = 0;
  for (const raw of text.split("\n")) {
    const match = line.exec(raw);
    if (match === null) continue;
    const [, task, seconds, event, rest] = match;
    const at = Number(seconds) * 1000;
    if (event === "tracing_mark_write" && rest!.startsWith("flow-start")) {
      first = since = at;
      continue;
    }
    if (first === null) continue;
    last = at;
    if (event === "tracing_mark_write" && rest!.startsWith("flow-stop")) break;
    const by = kind(task!, sessionShell);
    if (event === "page_fault_user") faults.set(by, (faults.get(by) ?? 0) + 1);
    if (event === "sys_enter") calls.set(by, (calls.get(by) ?? 0) + 1);
    if (event === "sched_switch") {
      held.set(current, (held.get(current) ?? 0) + at - since);
      const next = /next_comm=(\S+) next_pid=(\d+)/.exec(rest!);
      current = kind(next === null ? "" : `${next[1]}-${next[2]}`, sessionShell);
      since = at;
      switches++;
    }
  }
  if (first === null) throw new Error("the guest's trace has no start marker (its buffer may have overflowed)");
  held.set(current, (held.get(current) ?? 0) + last - since);
  // Between the markers: the N commands, the end of the one that started tracing and the start of the one that stops
  // it, together one command more.
  const per = (value: number): string => (value / (commands + 1)).toFixed(2).padStart(7);
  console.log(`${commands} round trips of \`true\`, back to back, traced: ${wallMs.toFixed(1)} ms each on the host (load ${loadavg()[0]!.toFixed(1)})`);
  console.log(`guest, per command: ${per(last - first)} ms traced, ${per(switches)} task switches`);
  console.log(`  ${"task".padEnd(15)} ${"ms".padStart(7)} ${"faults".padStart(7)} ${"syscalls".padStart(8)}`);
  for (const [name, ms] of [...held].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${name.padEnd(15)} ${per(ms)} ${per(faults.get(name) ?? 0)} ${per(calls.get(name) ?? 0).padStart(8)}`);
  }
}
