/**
 * `npm run bench:check`: `flow check` end to end (parse, names, types,
 * effects, budgets) on a generated program of 100,000 lines, and its peak
 * memory. Targets (issue 3): ≥ 100,000 lines/s and < 500 MB.
 * Run through scripts/bench.mjs, which bundles this file like the CLI.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { check } from "../../compiler/compile.ts";
import { SourceFile } from "../../language/source-file.ts";
import { generateCheckedProgram } from "./generate-checked-program.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const self = fileURLToPath(import.meta.url);
const host = { readFile: () => undefined };

if (process.argv[2] === "--check-once") {
  const path = process.argv[3]!;
  check(new SourceFile("generated.flow", readFileSync(path, "utf8")), host);
  process.stdout.write(String(process.resourceUsage().maxRSS / 1024));
  process.exit(0);
}

const lines = Number(process.env["BENCH_LINES"] ?? 100_000);
const outDir = join(root, "bench/out");
mkdirSync(outDir, { recursive: true });
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const text = generateCheckedProgram(join(root, "examples"), lines);
const lineCount = text.split("\n").length;
const file = join(outDir, "generated-checked.flow");
writeFileSync(file, text);
const first = check(new SourceFile("generated.flow", text), host);
const errors = first.diagnostics.filter((d) => d.severity === "error");
if (errors.length > 0 || first.budgets === undefined) {
  console.error(`the generated program does not check cleanly: ${errors.length} errors, first: ${errors[0]?.code} ${errors[0]?.message}`);
  process.exit(1);
}
// Wall time is the figure; CPU time beside it shows how much of it a busy machine took for other processes.
const times: number[] = [];
const cpuTimes: number[] = [];
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  check(new SourceFile("generated.flow", text), host);
  const cpu = process.cpuUsage(cpu0);
  times.push(performance.now() - t0);
  cpuTimes.push((cpu.user + cpu.system) / 1000);
}
const ms = median(times);
const spread = `${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)} ms`;
const perSecond = lineCount / (ms / 1000);
const peaks: number[] = [];
for (let i = 0; i < 3; i++) peaks.push(Number(execFileSync(process.execPath, [self, "--check-once", file], { encoding: "utf8" })));
const peak = median(peaks);

const verdict = (ok: boolean) => (ok ? "meets target" : "MISSES target");
const rows = [
  ["program", `${lineCount.toLocaleString("en")} lines, ${(text.length / 1e6).toFixed(1)} MB, ${first.budgets.vertices.length.toLocaleString("en")} vertices, ${first.diagnostics.length} warnings`],
  ["check (median of 5)", `${ms.toFixed(0)} ms = ${Math.round(perSecond).toLocaleString("en")} lines/s (target ≥ 100,000: ${verdict(perSecond >= 100_000)}; ${(perSecond / 100_000).toFixed(2)}× target)`],
  ["  spread, CPU time", `${spread}; CPU ${median(cpuTimes).toFixed(0)} ms (median; the garbage collector's helper threads included)`],
  ["peak memory (median of 3)", `${peak.toFixed(0)} MB (target < 500 MB: ${verdict(peak < 500)})`],
];
for (const [k, v] of rows) console.log(`${k!.padEnd(28)}${v}`);
