import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isolationText } from "../isolation-text.ts";
import { dirname, resolve } from "node:path";
import type { Budget } from "../../compiler/ir/cost.ts";
import { formatValue, units } from "../../compiler/cost.ts";
import { canonicalJson } from "../../compiler/ir/canonical-json.ts";
import { keyFingerprint } from "../../interpreter/gates/decision.ts";
import { emptyHead } from "../../interpreter/ledger/chain.ts";
import { BrokenChain, checkedEntries } from "../../interpreter/ledger/checked-entries.ts";
import type { Entry } from "../../interpreter/ledger/entry.ts";
import { type Receipt, type ReceiptBody, receiptOf } from "../../interpreter/receipts/receipt.ts";
import { receiptText, signReceipt, verifyReceipt } from "../../interpreter/receipts/signature.ts";
import type { Store } from "../../interpreter/store/store.ts";
import { exitCodes, UsageError } from "../exit-codes.ts";
import type { CommandIo } from "../io.ts";
import { findRun, NoStore, openRunStore } from "../run-store.ts";
import { whyUnreadable, whyUnwritable } from "../source-files.ts";
import { runnerKey, runnerKeyFile } from "../runner-key.ts";

export interface ReceiptOptions {
  /** The run to make a receipt of (its id or a unique prefix). */
  readonly run: string | undefined;
  readonly store: string | undefined;
  readonly json: boolean;
  /** A receipt file to check instead. */
  readonly verify: string | undefined;
  /** Where to write the receipt instead of `.flow/receipts/RUN-SEQ.json`. */
  readonly out: string | undefined;
  /** With `--verify`: the public key the receipt must be signed with; else this project's runner key. */
  readonly key: string | undefined;
}

/**
 * `flow receipt RUN [--json] [-o FILE]`: what the run did and spent up to
 * its ledger's head, signed with the runner's key (runner-key.ts), written
 * to `.flow/receipts/RUN-SEQ.json` and summed up on stdout (with `--json`,
 * the receipt itself). `flow receipt --verify FILE`: whether a receipt
 * holds, exit 0 or 1; and, when its run is in the store, whether it is
 * what that ledger gives.
 */
export async function receipt(options: ReceiptOptions, io: CommandIo): Promise<number> {
  if (options.verify !== undefined) {
    if (options.run !== undefined) throw new UsageError("give a run to make its receipt, or `--verify FILE` to check one, not both");
    if (options.out !== undefined) throw new UsageError("`--verify` writes nothing, so `-o` has nowhere to go");
    return verifyFile(options.verify, options, io);
  }
  if (options.run === undefined) {
    throw new UsageError("name the run to make a receipt of", { hint: "`flow receipt RUN`; `flow runs` lists the runs; `flow receipt --verify FILE` checks a receipt" });
  }
  return makeReceipt(options.run, options, io);
}

async function makeReceipt(run: string, options: ReceiptOptions, io: CommandIo): Promise<number> {
  const store = await openRunStore(options.store, { create: false });
  let issued: IssuedReceipt;
  try {
    const record = await findRun(store, run);
    issued = await issueReceipt(store, record.id, options.out);
  } finally {
    await store.close();
  }
  const { receipt: signed, file, text } = issued;
  io.err(`receipt of run ${signed.body.run} up to entry ${signed.body.head.seq}, signed by ${signed.signer.name} (${keyFingerprint(signed.signer.key)}…) → ${file}\n`);
  io.out(options.json ? text : summary(signed));
  return exitCodes.ok;
}

export interface IssuedReceipt {
  readonly receipt: Receipt;
  readonly text: string;
  readonly file: string;
}

/**
 * Makes, signs and writes the receipt of a run up to its head: what
 * `flow receipt` does, and what `flow run`, `resume`, `approve` and `tick`
 * do whenever a run they drive parks, stops or ends.
 */
export async function issueReceipt(store: Store, run: string, out?: string): Promise<IssuedReceipt> {
  const read = await readLedger(store, run);
  if ("broken" in read) throw new UsageError(`run ${run}: ${read.broken}; a receipt cannot vouch for it`, { hint: `\`flow replay ${run}\` shows where it was changed` });
  if (read.entries.length === 0) throw new UsageError(`run ${run} has no entries yet`, { hint: "a run's ledger begins when it starts" });
  const body = receiptOf(read.entries);
  const signed = signReceipt(body, runnerKey());
  const text = receiptText(signed);
  const file = out ?? resolve(".flow", "receipts", `${body.run}-${body.head.seq}.json`);
  try {
    mkdirSync(dirname(resolve(file)), { recursive: true });
    writeFileSync(file, text);
  } catch (error) {
    throw new UsageError(`cannot write \`${file}\`: ${whyUnwritable(error)}`);
  }
  return { receipt: signed, text, file };
}

/** What a receipt says, for people: the line items, the totals against the ceilings, gates and who decided them. */
function summary(receipt: Receipt): string {
  const b = receipt.body;
  const lines: string[] = [];
  const field = (label: string, text: string) => lines.push(`${label.padEnd(9)} ${text}`);
  field("receipt", `run ${b.run} · workflow ${b.workflow} · ${b.status} · entries 0–${b.head.seq}, head ${b.head.hash.slice(0, 12)}…`);
  field("signed", `by ${receipt.signer.name} (key ${keyFingerprint(receipt.signer.key)}…)`);
  if (b.isolation !== null) field("isolation", isolationText(b.isolation));
  lines.push("");
  if (b.lineItems.length === 0) lines.push("  no vertex ran");
  else {
    const rows: string[][] = [["vertex", "unit", "outcome", "attempts", "compute", "wall", "sandbox"]];
    const notes = new Map<number, string[]>();
    for (const item of b.lineItems) {
      const sandbox = item.sandbox === null ? "-" : `${item.sandbox.driver} (${item.sandbox.profile})`;
      rows.push([item.instance, item.unit ?? "?", item.outcome, String(item.attempts), formatValue(item.compute, "compute"), formatValue(item.wall, "wall"), sandbox]);
      const under = [
        ...item.retries.map((r) => `retried: attempt ${r.attempt} after ${formatValue(r.delay, "wall")}, because ${r.reason.kind}: ${r.reason.message}`),
        ...item.checkpoints.map((c) => `checkpoint "${c.label}" (attempt ${c.attempt})`),
        ...Object.entries(item.byModel).map(([model, charge]) => `${model}: ${formatValue(charge.tokens, "tokens")} tokens, ${formatValue(charge.usd, "usd")}`),
      ];
      if (under.length > 0) notes.set(rows.length - 1, under);
    }
    const table = columns(rows);
    table.forEach((line, i) => {
      lines.push(line);
      for (const note of notes.get(i) ?? []) lines.push(`      ${note}`);
    });
  }
  lines.push("");
  const against = b.ceilingsSet === null ? "spent" : `spent since entry ${b.ceilingsSet.seq}`;
  const totals: string[][] = [["", ...units], [against, ...units.map((u) => formatValue(b.spentAgainstCeilings[u], u))], ["ceiling", ...units.map((u) => ceiling(b.ceilings, u))]];
  if (b.ceilingsSet !== null) totals.splice(1, 0, ["spent in all", ...units.map((u) => formatValue(b.spent[u], u))]);
  lines.push(...columns(totals));
  if (b.ceilingsSet !== null) lines.push(`  (the ceilings are the ones ${b.ceilingsSet.by} set at entry ${b.ceilingsSet.seq}, from nothing spent)`);
  lines.push("");
  for (const g of b.gates) {
    const who = g.by === null ? "by its timeout's default" : `by ${g.by.name} (key ${keyFingerprint(g.by.key)}…)`;
    field("gate", `${g.instance}: ${g.decision === "approve" ? "approved" : "rejected"} ${who}${g.comment === null ? "" : `: "${g.comment}"`}`);
  }
  for (const r of b.refusals) {
    field("refused", `${r.instance} attempt ${r.attempt}: ${r.unit} ${r.need === null ? "has no bound to price" : `needs ${formatValue(r.need, r.unit)}`}, ${formatValue(Math.max(0, r.remaining), r.unit)} remained`);
  }
  for (const a of b.aborts) field("aborted", `at entry ${a.seq}: ${a.reason}`);
  while (lines.at(-1) === "") lines.pop();
  return `${lines.join("\n")}\n`;
}

function ceiling(ceilings: Budget, unit: (typeof units)[number]): string {
  const value = ceilings[unit];
  return value === null ? "none" : formatValue(value, unit);
}

function columns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => `  ${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")}`.trimEnd());
}

/** How a receipt compares with the ledger of its run in the store. */
type LedgerCheck = { readonly kind: "matches" } | { readonly kind: "absent"; readonly why: string } | { readonly kind: "differs"; readonly why: string };

async function verifyFile(path: string, options: ReceiptOptions, io: CommandIo): Promise<number> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read \`${path}\`: ${whyUnreadable(error)}`);
  }
  const verdict = verifyReceipt(bytes);
  if (!verdict.ok) {
    io.out(options.json ? `${JSON.stringify({ file: path, ok: false, reason: verdict.reason }, null, 2)}\n` : `does not hold: ${path}: ${verdict.reason}\n`);
    return exitCodes.failed;
  }
  const { body, signer } = verdict.receipt;
  // A signature that holds says the receipt is as its signer wrote it; who the signer may be is this side's to say.
  const vouched = options.key ?? (existsSync(runnerKeyFile()) ? runnerKey().key : null);
  if (vouched !== signer.key) {
    const why =
      vouched === null
        ? `its signature holds for key ${keyFingerprint(signer.key)}…, which nothing here vouches for (this project has no runner key)`
        : `it is signed with key ${keyFingerprint(signer.key)}…, not ${options.key === undefined ? "this project's runner key" : "the key given"} (${keyFingerprint(vouched)}…)`;
    io.out(options.json ? `${JSON.stringify({ file: path, ok: false, reason: why }, null, 2)}\n` : `does not hold: ${path}: ${why}\n`);
    if (vouched === null && !options.json) io.err("give the runner's public key: `flow receipt --verify FILE --key KEY`\n");
    return exitCodes.failed;
  }
  const ledger = await compareWithLedger(body, options.store);
  const ok = ledger.kind !== "differs";
  if (options.json) {
    const report = { file: path, ok, run: body.run, workflow: body.workflow, status: body.status, head: body.head, signer, ledger };
    io.out(`${JSON.stringify(report, null, 2)}\n`);
    return ok ? exitCodes.ok : exitCodes.failed;
  }
  const what = `receipt of run ${body.run} (${body.workflow}, ${body.status}) up to entry ${body.head.seq}, head ${body.head.hash.slice(0, 12)}…, signed by ${signer.name} (key ${keyFingerprint(signer.key)}…)`;
  switch (ledger.kind) {
    case "matches":
      io.out(`holds: ${what}; it is what the run's ledger in the store gives\n`);
      return exitCodes.ok;
    case "absent":
      io.out(`holds: ${what}; ${ledger.why}, so it was not compared with its ledger\n`);
      return exitCodes.ok;
    case "differs":
      io.out(`does not hold: ${path}: its signature holds (${what}), but ${ledger.why}\n`);
      return exitCodes.failed;
  }
}

/**
 * The receipt's body against `receiptOf` the ledger in the store, up to
 * the receipt's head. Only a store that is there is read: checking a
 * receipt received from elsewhere must not make a `.flow/flow.db` here.
 */
async function compareWithLedger(body: ReceiptBody, spec: string | undefined): Promise<LedgerCheck> {
  let store: Store;
  try {
    store = await openRunStore(spec, { create: false });
  } catch (error) {
    if (error instanceof NoStore && error.here) return { kind: "absent", why: "there is no store here" };
    throw error;
  }
  try {
    if ((await store.getRun(body.run)) === null) return { kind: "absent", why: `run ${body.run} is not in the store` };
    const read = await readLedger(store, body.run, body.head.seq);
    if ("broken" in read) return { kind: "differs", why: `the run's ledger in the store: ${read.broken}` };
    const last = read.entries.at(-1);
    if (last === undefined || last.seq < body.head.seq) return { kind: "differs", why: `the run's ledger in the store ends at entry ${last?.seq ?? -1}, before its head` };
    if (last.hash !== body.head.hash) return { kind: "differs", why: `the run's ledger in the store has another entry ${last.seq} (hash ${last.hash.slice(0, 12)}…)` };
    const again = receiptOf(read.entries);
    const where = firstDifference(again, body, "");
    if (where !== null) return { kind: "differs", why: `the run's ledger in the store gives another \`${where === "" ? "body" : where}\`` };
    return { kind: "matches" };
  } finally {
    await store.close();
  }
}

/** A run's entries from the first up to `to` (all of them without it), every link of the chain checked. */
/** A run's entries up to `to`, every link checked; where the chain breaks, if it does. */
export async function readLedger(store: Store, run: string, to?: number): Promise<{ readonly entries: Entry[] } | { readonly broken: string }> {
  const entries: Entry[] = [];
  try {
    for await (const entry of checkedEntries(store, run, emptyHead, to)) entries.push(entry);
  } catch (error) {
    if (error instanceof BrokenChain) return { broken: error.message };
    throw error;
  }
  return { entries };
}

/** The path of the first place two JSON values differ (`lineItems[3].compute`), or null when they are the same. */
function firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const found = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (found !== null) return found;
    }
    return null;
  }
  if (typeof a === "object" && typeof b === "object" && a !== null && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
      const found = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], path === "" ? key : `${path}.${key}`);
      if (found !== null) return found;
    }
    return null;
  }
  return canonicalJson(a ?? null) === canonicalJson(b ?? null) && (a === undefined) === (b === undefined) ? null : path;
}
