import type { JsonSchema } from "../../../compiler/ir/json-schema.ts";
import { sha256Hex } from "../../../compiler/ir/hash.ts";
import type { Json } from "../../../interpreter/ledger/entry.ts";
import { opId } from "../../../stdlib/runtime/index.ts";
import { type Demand, demandAt, demandSchema } from "./step-demands.ts";
import { syntheticValue, tag, type Types } from "./synthetic-value.ts";

/** What a simulated step is given: its arguments, what its body demands of its value, and the world's seed and time. */
export interface StepWorld {
  readonly args: Readonly<Record<string, Json>>;
  readonly demand: Demand | undefined;
  readonly types: Types;
  /** The step's journal id: every made-up value is seeded by it. */
  readonly seed: string;
  /** The simulated clock, in ms since the epoch. */
  readonly now: number;
}

/** A simulated step: its recorded form (what `step.completed` keeps, as the real step's `run` returns it) and how long it took. */
export interface SimulatedStep {
  readonly ms: number;
  record(world: StepWorld): Json;
}

/**
 * The simulated world: every std step (the ones that touch the outside
 * world; pure functions run for real), answered without a sandbox, a
 * network or a clock. Each answer has the recorded form of the real step
 * and takes the happy path: commands exit 0, files exist, requests get
 * 200, anchors resolve. Text a body converts (`as T`, step-demands.ts) is
 * the JSON or the text of a value of that type; other text is made up
 * from the step's journal id. `ms` is the simulated time the step takes,
 * charged as its compute.
 */
export const simulatedSteps: ReadonlyMap<string, SimulatedStep> = new Map([
  [
    opId("std/sandbox", "sh"),
    {
      ms: 2_000,
      record: (world) => ({
        exit: 0,
        stdout: textFor(world, demandAt(world.demand, "json") ?? demandAt(world.demand, "stdout"), madeUpLines(world.seed)),
        stderr: "",
      }),
    },
  ],
  [
    opId("std/sandbox", "read_file"),
    {
      ms: 100,
      record: (world) =>
        textFor(world, world.demand, `simulated contents of ${stringArg(world, "path")} (${tag(world.seed, "file")})\n`),
    },
  ],
  [opId("std/sandbox", "write_file"), { ms: 100, record: (world) => new TextEncoder().encode(stringArg(world, "text")).length }],
  [
    opId("std/sandbox", "list_files"),
    { ms: 200, record: (world) => [1, 2, 3].map((i) => `simulated/${tag(world.seed, `file ${i}`)}.txt`) },
  ],
  [
    opId("std/sandbox", "grep"),
    {
      ms: 500,
      // The matched line is the pattern itself: the one text sure to say what the body looked for.
      record: (world) =>
        [1, 2].map((i) => ({
          path: `${stringArg(world, "path")}/simulated-${tag(world.seed, `match ${i}`)}.txt`,
          line: i * 10,
          text: stringArg(world, "pattern"),
        })),
    },
  ],
  [opId("std/sandbox", "git.diff"), { ms: 300, record: (world) => madeUpDiff(world.seed) }],
  [opId("std/sandbox", "git.status"), { ms: 300, record: () => "" }],
  [opId("std/sandbox", "git.commit"), { ms: 500, record: (world) => `${sha256Hex(`commit ${world.seed}`).slice(0, 40)}\n` }],
  [
    opId("std/http", "http.get"),
    {
      ms: 400,
      record: (world) => ({
        status: 200,
        body: textFor(world, demandAt(world.demand, "json") ?? demandAt(world.demand, "body"), "{}"),
      }),
    },
  ],
  [
    opId("std/http", "http.post"),
    {
      ms: 400,
      record: (world) => ({
        status: 200,
        body: textFor(world, demandAt(world.demand, "json") ?? demandAt(world.demand, "body"), "{}"),
      }),
    },
  ],
  // The simulated clock, in seconds, as the real step reads the real one.
  [opId("std/time", "now"), { ms: 0, record: (world) => Math.floor(world.now / 1000) }],
  [opId("std/verify", "anchors_in_files"), { ms: 200, record: () => true }],
]);

/** The text of a value of the demanded type (text as it is, anything else as JSON), or `otherwise`. */
function textFor(world: StepWorld, demand: Demand | undefined, otherwise: string): string {
  if (demand === undefined) return otherwise;
  const value = syntheticValue(demandSchema(demand) satisfies JsonSchema, world.types, world.seed);
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Three lines, so that a fan-out over a command's `lines` has items to count. */
function madeUpLines(seed: string): string {
  return [1, 2, 3].map((i) => `line-${tag(seed, `line ${i}`)}`).join("\n") + "\n";
}

function madeUpDiff(seed: string): string {
  const name = `simulated-${tag(seed, "diff")}.txt`;
  return `diff --git a/${name} b/${name}\n--- a/${name}\n+++ b/${name}\n@@ -1 +1 @@\n-before\n+after\n`;
}

function stringArg(world: StepWorld, name: string): string {
  const value = world.args[name];
  return typeof value === "string" ? value : "";
}
