import fc from "fast-check";
import { isUtf8 } from "node:buffer";
import { appendFileSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replay as replayCommand } from "../cli/commands/replay.ts";
import { filePages } from "../cli/ledger-pages.ts";
import { seal } from "../interpreter/ledger/chain.ts";
import { ChainCheck } from "../interpreter/ledger/chain-check.ts";
import { type Draft, type Entry, entryOrigin } from "../interpreter/ledger/entry.ts";
import { replayLedger, type ReplayVerdict } from "../interpreter/replay.ts";
import { openSqliteStore } from "../interpreter/store/sqlite-store.ts";
import { drivePiecewise, parseLedger } from "./support/interrupted-run.ts";
import { runFlow } from "./support/run-cli.ts";
import { compileText } from "./support/run-program.ts";

/**
 * A recorded ledger, tampered with every way ARCHITECTURE.md names, must
 * be refused by `flow replay` with the seq where it breaks. What each kind
 * of change is reported as:
 *
 * - a byte changed anywhere (the text still valid UTF-8 or not), an entry
 *   dropped, two swapped, one inserted again, one replaced by another
 *   run's: **tampered**, at the first entry that differs from the
 *   recording (its text no longer matches its hash, or it is out of
 *   sequence, or does not link to the one before, or is of another run).
 *   One exception: a whole valid first entry of another run is a valid
 *   first entry; the chain breaks at the entry after it (seq 1), which
 *   does not link to it.
 * - cut short: no chain can tell a ledger cut after entry k from a run
 *   that had recorded k entries so far (a crashed run's ledger is one).
 *   Replay then says **identical**, with the shorter count and a head that
 *   is not the recording's (which is how it is seen: `flow replay` prints
 *   both), or **diverged** at seq k when the cut leaves a decision replay
 *   makes unrecorded. Cut to nothing: **invalid** at seq 0.
 * - forged, i.e. changed and the chain sealed again from there (so it holds):
 *   not tampering as far as the chain can tell. A forged decision or body
 *   entry is **diverged** at its own seq (replay makes it again and
 *   compares); a forged input from the world (a step's result, a time) is
 *   taken as recorded, and is **diverged** at the first entry computed
 *   from it that it changes (or, changing nothing replay computes, not
 *   seen at all).
 */

const seed = Number(process.env["FLOW_TAMPER_SEED"] ?? Math.floor(Math.random() * 2 ** 31));
const runs = Number(process.env["FLOW_TAMPER_RUNS"] ?? 100);
console.log(`ledger tampering: seed ${seed} (FLOW_TAMPER_SEED=${seed} repeats it)`);

/** Items fan out two at a time; each runs two `sh` steps around a checkpoint, fails once (a marker file) and is retried; the output is not ASCII. */
const program = `
import { sh } from "std/sandbox"
import { trim } from "std/text"
node step(n: int, marker: string) -> string
  effects { proc }
  budget  { compute: 10s }
  retry   1 backoff fixed(1ms) on [Transient]
{
  let a = sh("sleep 0.00\${n as string}; echo «\${n as string}» ✓")
  checkpoint "halfway"
  let r = sh("m=\${marker}/\${n as string}; if [ -e $m ]; then echo grün; else touch $m; exit 3; fi")
  if r.exit != 0 {
    fail Transient("erst beim zweiten Mal")
  }
  return "\${trim(a.stdout)} \${trim(r.stdout)}"
}
workflow main(ns: List<int, max 5>, marker: string) -> List<string>
  budget { compute: 10m }
  grants { proc }
{
  return for n in ns concurrency 2 { step(n, marker) }
}`;

let dir = "";
let storePath = "";
let run = "";
/** The recorded ledger, entry by entry, and another run of the same program. */
let texts: string[] = [];
let other: string[] = [];
let entries: Entry[] = [];

async function record(into: string): Promise<{ run: string; texts: string[] }> {
  const marker = join(into, `markers-${Math.random().toString(36).slice(2)}`);
  mkdirSync(marker, { recursive: true });
  const recorded = await drivePiecewise(() => openSqliteStore(storePath), {
    ir: compileText(program),
    workflow: "main",
    args: { ns: [3, 1, 2], marker },
    concurrency: 8,
  });
  expect(recorded.outcome).toBe("completed");
  return { run: recorded.run, texts: [...recorded.texts] };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "flow-tamper-"));
  storePath = join(dir, "flow.db");
  const first = await record(dir);
  run = first.run;
  texts = first.texts;
  other = (await record(dir)).texts;
  entries = parseLedger(texts);
}, 60_000);

afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

/** The first position where `tampered` differs from the recording; null when it is a prefix of it (or all of it). */
function firstDifference(tampered: readonly string[]): number | null {
  for (let k = 0; k < tampered.length; k++) if (tampered[k] !== texts[k]) return k;
  return null;
}

async function verdict(tampered: readonly string[]): Promise<ReplayVerdict> {
  return replayLedger(tampered);
}

function expectTamperedAt(v: ReplayVerdict, seq: number): void {
  expect({ kind: v.kind, seq: "seq" in v ? v.seq : null }).toEqual({ kind: "tampered", seq });
}

describe("a recorded ledger", () => {
  it("replays identical as recorded, and has what the properties below need", async () => {
    expect(await verdict(texts)).toEqual({ kind: "identical", entries: texts.length, head: entries.at(-1)?.hash, status: "completed" });
    const kinds = new Set(entries.map((e) => e.kind));
    for (const kind of ["fanout.expanded", "vertex.started", "step.completed", "vertex.checkpoint", "vertex.retrying", "timer.fired", "vertex.completed", "run.completed"]) {
      expect(kinds, kind).toContain(kind);
    }
    // Characters beyond ASCII, so that a changed byte can fall inside one.
    expect(texts.some((t) => Buffer.byteLength(t) !== t.length)).toBe(true);
  });
});

describe("tampering is refused with the seq where the chain breaks (fast-check)", () => {
  const settings = { seed, numRuns: runs };

  it("any single byte changed, valid UTF-8 after or not: tampered at that entry", async () => {
    const bytes = texts.map((t) => Buffer.from(t, "utf8"));
    const seen = { valid: 0, invalid: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc
          .nat({ max: bytes.length - 1 })
          .chain((i) => fc.record({ i: fc.constant(i), at: fc.nat({ max: bytes[i]!.length - 1 }), to: fc.nat({ max: 255 }) }))
          .filter(({ i, at, to }) => bytes[i]![at] !== to),
        async ({ i, at, to }) => {
          const changed = Buffer.from(bytes[i]!);
          changed[at] = to;
          seen[isUtf8(changed) ? "valid" : "invalid"]++;
          const tampered = [...texts];
          // Decoded as `flow replay` reads a file: invalid sequences become U+FFFD.
          tampered[i] = changed.toString("utf8");
          expectTamperedAt(await verdict(tampered), i);
        },
      ),
      { ...settings, numRuns: runs * 2 },
    );
    expect(seen.valid).toBeGreaterThan(runs / 4);
    expect(seen.invalid).toBeGreaterThan(runs / 10);
  });

  it("an entry dropped (not the last): tampered at its seq", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: texts.length - 2 }), async (i) => {
        const tampered = texts.filter((_, k) => k !== i);
        expect(firstDifference(tampered)).toBe(i);
        expectTamperedAt(await verdict(tampered), i);
      }),
      settings,
    );
  });

  it("two entries swapped: tampered at the first of them", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: texts.length - 1 }),
        fc.nat({ max: texts.length - 1 }),
        async (a, b) => {
          fc.pre(a !== b);
          const tampered = [...texts];
          [tampered[a], tampered[b]] = [tampered[b]!, tampered[a]!];
          expectTamperedAt(await verdict(tampered), Math.min(a, b));
        },
      ),
      settings,
    );
  });

  it("an entry inserted again anywhere (a duplicate): tampered at the first entry that differs", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: texts.length - 1 }), fc.nat({ max: texts.length }), async (i, at) => {
        const tampered = [...texts.slice(0, at), texts[i]!, ...texts.slice(at)];
        const first = firstDifference(tampered);
        // Right before or after itself, the copy is the second of two equal entries.
        expect(first).toBe(at === i ? i + 1 : at);
        expectTamperedAt(await verdict(tampered), first!);
      }),
      settings,
    );
  });

  it("an entry replaced by the entry at the same seq of another run: tampered there (at seq 1 for the first entry, a valid first entry itself)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: Math.min(texts.length, other.length) - 1 }), async (i) => {
        const tampered = [...texts];
        tampered[i] = other[i]!;
        expectTamperedAt(await verdict(tampered), i === 0 ? 1 : i);
      }),
      settings,
    );
  });

  it("cut short after k entries: not detectable by the chain; identical with k entries and another head, or diverged at seq k", async () => {
    const outcomes = { identical: 0, diverged: 0 };
    for (let k = 1; k < texts.length; k++) {
      const v = await verdict(texts.slice(0, k));
      if (v.kind === "identical") {
        expect(v.entries).toBe(k);
        expect(v.head).toBe(entries[k - 1]?.hash);
        expect(v.head).not.toBe(entries.at(-1)?.hash);
      } else {
        expect({ kind: v.kind, seq: "seq" in v ? v.seq : null }, `cut after ${k}`).toEqual({ kind: "diverged", seq: k });
      }
      outcomes[v.kind as keyof typeof outcomes]++;
    }
    expect(outcomes.identical).toBeGreaterThan(0);
    expect(outcomes.diverged).toBeGreaterThan(0);
    expect(await verdict([])).toEqual({ kind: "invalid", seq: 0, reason: "the ledger is empty" });
  });

  it("forged (an entry changed and the chain sealed again after it): a decision or body entry diverges at its seq, an input from the world at its seq or later", async () => {
    const counts = { decided: 0, body: 0, world: 0, unseen: 0 };
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: texts.length - 1 }), fc.boolean(), async (i, timeOnly) => {
        const original = entries[i]!;
        const forged = forge(original, timeOnly);
        fc.pre(forged !== null);
        const tampered = reseal(i, forged!);
        const v = await verdict(tampered);
        const origin = entryOrigin[original.kind];
        counts[origin]++;
        if (origin === "world") {
          if (v.kind === "identical") counts.unseen++;
          else {
            expect(["diverged", "invalid"]).toContain(v.kind);
            expect("seq" in v && v.seq).toBeGreaterThanOrEqual(i);
          }
        } else {
          expect({ kind: v.kind, seq: "seq" in v ? v.seq : null }).toEqual({ kind: "diverged", seq: i });
        }
      }),
      settings,
    );
    expect(counts.decided).toBeGreaterThan(0);
    expect(counts.body).toBeGreaterThan(0);
    expect(counts.world).toBeGreaterThan(0);
  });
});

describe("the chain checked on a thread, as for a long ledger", () => {
  let files = 0;
  /** Replayed from a file, as `flow replay FILE` does: the thread reads the texts from the same descriptor itself. */
  const fromFile = async (ledger: readonly string[]): Promise<ReplayVerdict> => {
    const file = join(dir, `thread-${files++}.jsonl`);
    writeFileSync(file, `${ledger.join("\n")}\n`);
    const fd = openSync(file, "r");
    try {
      return await replayLedger(filePages(fd, 97), new ChainCheck(0, { fd }));
    } finally {
      closeSync(fd);
    }
  };

  it("gives the verdicts of the check in the same thread, given the texts or reading them from the file: as recorded, a byte changed, an entry dropped, two swapped, one forged (fast-check)", async () => {
    const onThread = (ledger: readonly string[]) => replayLedger(ledger, new ChainCheck(0));
    expect(await onThread(texts)).toEqual(await verdict(texts));
    expect(await fromFile(texts)).toEqual(await verdict(texts));
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: texts.length - 2 }),
        fc.nat({ max: 400 }),
        fc.constantFrom("byte", "drop", "swap", "forge"),
        async (i, at, change) => {
          const tampered = [...texts];
          if (change === "byte") {
            const text = texts[i]!;
            const k = at % text.length;
            tampered[i] = `${text.slice(0, k)}${text[k] === "0" ? "1" : "0"}${text.slice(k + 1)}`;
          } else if (change === "drop") tampered.splice(i, 1);
          else if (change === "swap") [tampered[i], tampered[i + 1]] = [tampered[i + 1]!, tampered[i]!];
          else {
            const forged = forge(entries[i]!, true);
            tampered.splice(0, tampered.length, ...reseal(i, forged!));
          }
          const inline = await verdict(tampered);
          // A forged input may change nothing replay computes (see the forged property above); the rest breaks the chain.
          if (change !== "forge") expect(inline.kind).toBe("tampered");
          expect(await onThread(tampered)).toEqual(inline);
          expect(await fromFile(tampered)).toEqual(inline);
        },
      ),
      { seed, numRuns: 24 },
    );
  });
});

/** The entry with its time moved on by 1 ms, or (when it has one) the first number in its data increased by 1; null if there is nothing to change. */
function forge(entry: Entry, timeOnly: boolean): Draft | null {
  const { v: _v, run: _run, seq: _seq, prev: _prev, hash: _hash, ...draft } = structuredClone(entry) as Entry & Record<string, unknown>;
  if (timeOnly) return { ...draft, at: draft.at + 1 } as Draft;
  return bumpFirstNumber(draft.data) ? (draft as unknown as Draft) : null;
}

function bumpFirstNumber(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  for (const [key, inner] of Object.entries(value)) {
    if (typeof inner === "number") {
      (value as Record<string, unknown>)[key] = inner + 1;
      return true;
    }
    if (bumpFirstNumber(inner)) return true;
  }
  return false;
}

/** The recording with entry `i` replaced by `draft`, and every entry from it on sealed again, so that the chain holds. */
function reseal(i: number, draft: Draft): string[] {
  const out = texts.slice(0, i);
  let head = i === 0 ? { seq: -1, hash: "0".repeat(64) } : { seq: i - 1, hash: entries[i - 1]!.hash };
  const drafts: Draft[] = [draft, ...entries.slice(i + 1).map((e) => stripped(e))];
  for (const d of drafts) {
    const sealed = seal(run, head, d);
    out.push(sealed.text);
    head = { seq: sealed.entry.seq, hash: sealed.entry.hash };
  }
  return out;
}

function stripped(entry: Entry): Draft {
  const { v: _v, run: _run, seq: _seq, prev: _prev, hash: _hash, ...draft } = structuredClone(entry) as Entry & Record<string, unknown>;
  return draft as unknown as Draft;
}

describe("flow replay FILE, on an exported ledger in a directory with no store", () => {
  /** `flow export` of the recorded run, as a user writes it, then the file's bytes. */
  function exported(): { file: string; bytes: Buffer } {
    const file = join(dir, "run.ledger");
    const result = runFlow(["export", run, "--store", `sqlite:${storePath}`, "-o", file], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    return { file, bytes: readFileSync(file) };
  }

  function replayFile(bytes: Buffer, json = false) {
    const fresh = mkdtempSync(join(tmpdir(), "flow-tamper-fresh-"));
    try {
      writeFileSync(join(fresh, "run.ledger"), bytes);
      return runFlow(["replay", "run.ledger", ...(json ? ["--json"] : [])], { cwd: fresh });
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  }

  /** Where entry `seq` starts in the file. */
  function lineStart(bytes: Buffer, seq: number): number {
    let at = 0;
    for (let k = 0; k < seq; k++) at = bytes.indexOf(0x0a, at) + 1;
    return at;
  }

  function lines(bytes: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let at = 0;
    while (at < bytes.length) {
      const end = bytes.indexOf(0x0a, at);
      out.push(bytes.subarray(at, end + 1));
      at = end + 1;
    }
    return out;
  }

  function expectTamperedCli(bytes: Buffer, seq: number, json = false): void {
    const result = replayFile(bytes, json);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    if (json) expect(JSON.parse(result.stdout)).toMatchObject({ kind: "tampered", seq });
    else expect(result.stdout).toMatch(new RegExp(`^tampered: entry ${seq} `));
  }

  it("is identical as exported (exit 0, the entry count and head)", () => {
    const { bytes } = exported();
    expect(bytes.toString("utf8")).toBe(texts.map((t) => `${t}\n`).join(""));
    const result = replayFile(bytes);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^identical: ${texts.length} entries of run\\.ledger replayed byte for byte in [0-9.]+ s, head ${entries.at(-1)?.hash}\\n$`));
  });

  it("says so when the recording ends before the run did: a ledger cut at an entry's end is identical as far as it goes", () => {
    // Cut after a decision and before an input from the world, where a run that is still going may have stopped writing.
    const cut = entries.findIndex((e, k) => k >= entries.length / 2 && entryOrigin[e.kind] === "world" && entryOrigin[entries[k - 1]!.kind] === "decided");
    expect(cut).toBeGreaterThan(0);
    const result = replayFile(Buffer.from(texts.slice(0, cut).map((t) => `${t}\n`).join("")));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^identical: ${cut} entries of run\\.ledger replayed byte for byte in [0-9.]+ s, head ${entries[cut - 1]?.hash}; the recording ends with the run running, not ended\\n$`));
  });

  it("exits 1 naming the seq: a byte changed (to another ASCII one, to an invalid UTF-8 byte, to a line break), a line dropped, two swapped", () => {
    const { bytes } = exported();
    const seq = Math.floor(texts.length / 2);
    const inside = lineStart(bytes, seq) + 20;
    for (const to of [bytes[inside] === 0x41 ? 0x42 : 0x41, 0xff, 0x0a]) {
      const changed = Buffer.from(bytes);
      changed[inside] = to;
      expectTamperedCli(changed, seq);
    }
    const changed = Buffer.from(bytes);
    changed[inside] = 0x41;
    expectTamperedCli(changed, seq, true);
    // A byte inside a character beyond ASCII (the text stays valid UTF-8 only if it stays a continuation byte).
    const wide = texts.findIndex((t, k) => k > 0 && Buffer.byteLength(t) !== t.length);
    const start = lineStart(bytes, wide);
    const offset = bytes.subarray(start).findIndex((b) => b >= 0x80);
    const inChar = Buffer.from(bytes);
    inChar[start + offset + 1] = inChar[start + offset + 1] === 0x80 ? 0x81 : 0x80;
    expectTamperedCli(inChar, wide);

    // The first entry: nothing before it to trust.
    const first = Buffer.from(bytes);
    first[lineStart(bytes, 0) + 20] = 0x41;
    const result = replayFile(first);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^tampered: entry 0 /);

    const all = lines(bytes);
    expectTamperedCli(Buffer.concat(all.filter((_, k) => k !== seq)), seq);
    const swapped = [...all];
    [swapped[seq], swapped[seq + 1]] = [swapped[seq + 1]!, swapped[seq]!];
    expectTamperedCli(Buffer.concat(swapped), seq);
  });
  it("says there is no such file, or that it is not one (a directory, a program), rather than looking for a run of that name", () => {
    const fresh = mkdtempSync(join(tmpdir(), "flow-tamper-fresh-"));
    try {
      mkdirSync(join(fresh, "exports"));
      const missing = runFlow(["replay", "exports/run.ledger"], { cwd: fresh });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toBe("flow: no file `exports/run.ledger`\n`flow export RUN -o FILE` writes a run's ledger to a file; `flow runs` lists the runs\n");
      for (const name of ["exports/", "exports"]) {
        const directory = runFlow(["replay", name], { cwd: fresh });
        expect(directory.code).toBe(2);
        expect(directory.stderr).toMatch(new RegExp(`^flow: \`${name}\` is not a file\n`));
      }
      writeFileSync(join(fresh, "main.flow"), program);
      const source = runFlow(["replay", "main.flow"], { cwd: fresh });
      expect(source.code).toBe(2);
      expect(source.stderr).toBe("flow: `main.flow` is a program, not a ledger\n`flow run` runs a program; `flow replay` takes a run or the ledger `flow export` writes\n");
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it("has no verdict on a file that changed while it was replayed (replay and the chain check's thread each read it)", async () => {
    const { bytes } = exported();
    const file = join(dir, "changing.ledger");
    writeFileSync(file, bytes);
    let said = "";
    const io = { out: (text: string) => (said += text), err: (text: string) => (said += text), colorOut: false, colorErr: false };
    // The file is opened before replay() first waits; a blank line appended then changes no entry, only the file.
    const replaying = replayCommand({ target: file, store: undefined, json: false }, io);
    appendFileSync(file, "\n");
    await expect(replaying).rejects.toThrow(`\`${file}\` changed while it was replayed`);
    expect(said).toBe("");
    // Left alone, the same file is identical.
    expect(await replayCommand({ target: file, store: undefined, json: false }, io)).toBe(0);
    expect(said).toMatch(/^identical: /);
  });
});
