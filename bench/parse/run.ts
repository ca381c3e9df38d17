/**
 * `npm run bench:parse`: lexing and parsing throughput on a generated
 * 100,000-line program, peak memory, and the cold start of `flow check` on
 * the hello-world example next to `node -e 0` (the floor).
 * Targets (issue 2): ≥ 150,000 lines/s, < 300 MB, cold start within 100 ms of the floor.
 * Run through scripts/bench.mjs, which bundles this file like the CLI.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "../../language/parse.ts";
import { SourceFile } from "../../language/source-file.ts";
import { generateProgram } from "./generate-program.ts";

// The bundle lives in bench/out/: the project is two levels up from there too.
const root = fileURLToPath(new URL("../../", import.meta.url));
const self = fileURLToPath(import.meta.url);

if (process.argv[2] === "--parse-once") {
  // Child mode: parse one file once, in a fresh process, and report the peak.
  const path = process.argv[3]!;
  parse(new SourceFile(path, readFileSync(path, "utf8")));
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

// ── throughput ──
const text = generateProgram(join(root, "examples"), lines);
const lineCount = text.split("\n").length;
const file = join(outDir, "generated.flow");
writeFileSync(file, text);
parse(new SourceFile("generated.flow", text)); // build the parser, warm the JIT
const times: number[] = [];
let diagnostics = 0;
for (let i = 0; i < 7; i++) {
  const t0 = performance.now();
  const result = parse(new SourceFile("generated.flow", text));
  times.push(performance.now() - t0);
  diagnostics = result.diagnostics.length;
}
const parseMs = median(times);
const linesPerSecond = lineCount / (parseMs / 1000);

// ── peak memory, each in a fresh process that parses once ──
const peaks: number[] = [];
for (let i = 0; i < 3; i++) peaks.push(Number(execFileSync(process.execPath, [self, "--parse-once", file], { encoding: "utf8" })));
const floorPeak = Number(execFileSync(process.execPath, ["-e", "process.stdout.write(String(process.resourceUsage().maxRSS / 1024))"], { encoding: "utf8" }));

// ── cold start of the real binary ──
execFileSync(process.execPath, [join(root, "scripts/build.mjs")], { cwd: root });
const wall = ([command, ...args]: string[]) => {
  const t0 = performance.now();
  const r = spawnSync(command!, args, { cwd: root, encoding: "utf8" });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
};
const runs = 25;
const floor: number[] = [];
const check: number[] = [];
for (let i = 0; i < runs; i++) {
  floor.push(wall([process.execPath, "-e", "0"]));
  check.push(wall([join(root, "bin/flow"), "check", "examples/hello.flow"]));
}
const floorMs = median(floor);
const checkMs = median(check);

const verdict = (ok: boolean) => (ok ? "meets target" : "MISSES target");
const rows = [
  ["program", `${lineCount.toLocaleString("en")} lines, ${(text.length / 1e6).toFixed(1)} MB, ${diagnostics} diagnostics`],
  [
    "lex + parse",
    `${parseMs.toFixed(0)} ms, median of 7 → ${Math.round(linesPerSecond).toLocaleString("en")} lines/s (target ≥ 150,000: ${verdict(linesPerSecond >= 150_000)}, ${(linesPerSecond / 150_000).toFixed(2)}× the target)`,
  ],
  ["peak memory", `${median(peaks).toFixed(0)} MB resident, median of 3 (node alone: ${floorPeak.toFixed(0)} MB) (target < 300 MB: ${verdict(median(peaks) < 300)})`],
  [
    "cold start",
    `flow check hello.flow ${checkMs.toFixed(1)} ms vs node -e 0 ${floorMs.toFixed(1)} ms: +${(checkMs - floorMs).toFixed(1)} ms, medians of ${runs} (target ≤ +100 ms: ${verdict(checkMs - floorMs <= 100)})`,
  ],
];
for (const [k, v] of rows) console.log(`${k!.padEnd(12)} ${v}`);
