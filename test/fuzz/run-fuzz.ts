/**
 * The parser fuzzer at length: `npm run fuzz -- --cases 1000000 [--seed N]`.
 * The same generators and invariants as test/parser-fuzz.test.ts (which runs
 * a few thousand cases on every `npm test`), in batches, printing progress
 * and, for a failure, the seed and path that reproduce it.
 */
import fc from "fast-check";
import { parseArgs } from "node:util";
import { exampleSources, mutatedSource, randomSource } from "../support/mutated-sources.ts";
import { parseInvariantViolations } from "../support/parse-invariants.ts";

const { values } = parseArgs({
  options: {
    cases: { type: "string", default: "1000000" },
    seed: { type: "string" },
    batch: { type: "string", default: "20000" },
  },
});
const total = Number(values.cases);
const batch = Math.min(Number(values.batch), total);
// A seed is an input: take it from the command line, or draw one and print it.
const firstSeed = values.seed === undefined ? (Date.now() ^ (process.pid << 16)) | 0 : Number(values.seed);

const input = fc.oneof({ weight: 3, arbitrary: mutatedSource(exampleSources()) }, { weight: 1, arbitrary: randomSource });
const started = performance.now();
let done = 0;
let round = 0;
console.log(`fuzzing the parser: ${total} cases, first seed ${firstSeed}`);
while (done < total) {
  const runs = Math.min(batch, total - done);
  const seed = (firstSeed + round) | 0;
  const result = fc.check(
    fc.property(input, (text) => parseInvariantViolations(text).length === 0),
    { numRuns: runs, seed },
  );
  if (result.failed) {
    const text = result.counterexample?.[0] ?? "";
    console.error(`FAILED after ${done + result.numRuns} cases (seed ${seed}, path ${result.counterexample === null ? "?" : result.counterexamplePath})`);
    console.error(parseInvariantViolations(text).join("\n"));
    console.error(`input (${text.length} characters):\n${JSON.stringify(text)}`);
    process.exit(1);
  }
  done += runs;
  round++;
  const seconds = (performance.now() - started) / 1000;
  console.log(`${done} cases, ${Math.round(done / seconds)} cases/s, ${seconds.toFixed(0)} s`);
}
console.log(`no failures in ${total} cases`);
