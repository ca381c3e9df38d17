import { writeFileSync } from "node:fs";
import { SignedDecision, signDecision } from "../../interpreter/gates/decision.ts";
import { readRun } from "../../interpreter/host/read-run.ts";
import { loadKey } from "../approver-keys.ts";
import { exitCodes, UsageError } from "../exit-codes.ts";
import type { CommandIo } from "../io.ts";
import { readJsonFile } from "../json-file.ts";
import { gateAnswer } from "../gate-answer.ts";
import { parkedInstance } from "../parked-instance.ts";
import { readProjectConfig } from "../project-config.ts";
import { findRun, openRunStore } from "../run-store.ts";
import { takeOver } from "../take-over.ts";

export interface ApproveOptions {
  readonly run: string;
  /** The gate: its name (`merge`) or the instance it parks at (`approve:merge`, `review[3]`). */
  readonly gate: string | undefined;
  readonly reject: boolean;
  readonly comment: string | undefined;
  readonly key: string | undefined;
  /** Sign and write the decision here (`-` for stdout) instead of recording it: someone else submits it with `--decision`. */
  readonly signOnly: string | undefined;
  /** Record a decision signed elsewhere (`--sign-only`). */
  readonly decision: string | undefined;
  readonly store: string | undefined;
  readonly detach: boolean;
  /** `--park-after`: see DriverOptions.parkAfterMs. */
  readonly parkAfterMs: number;
  readonly json: boolean;
}


/**
 * `flow approve RUN GATE [--reject] [--comment …]`: decides at a gate the
 * run is parked at, signed with your key, and continues the run here (or
 * leaves it, with `--detach`). The decision is refused, and nothing is
 * recorded, when its signature does not hold, when the project's
 * flow.config.json does not trust the key, or when the run moved on from
 * the head it was made against.
 */
export async function approve(options: ApproveOptions, io: CommandIo): Promise<number> {
  const store = await openRunStore(options.store, { create: false });
  try {
    const record = await findRun(store, options.run);
    const { core } = await readRun(store, record.id);
    const state = core.state;

    let decision: SignedDecision;
    if (options.decision !== undefined) {
      decision = readDecision(options.decision);
      if (decision.run !== record.id) throw new UsageError(`this decision is for run ${decision.run}, not ${record.id}`);
    } else {
      const instance = parkedInstance(state, "approval", options.gate);
      const signer = loadKey(options.key);
      decision = signDecision(
        { run: record.id, instance, decision: options.reject ? "reject" : "approve", comment: options.comment ?? null, head: state.head.hash },
        { name: signer.name, privateKey: signer.privateKey },
      );
      if (options.signOnly !== undefined) {
        const text = `${JSON.stringify(decision, null, 2)}\n`;
        if (options.signOnly === "-") io.out(text);
        else writeFileSync(options.signOnly, text);
        io.err(`signed: ${decision.decision} at ${instance} of run ${record.id}, against entry ${state.head.seq}; \`flow approve ${record.id} --decision FILE\` records it\n`);
        return exitCodes.ok;
      }
    }

    const { answer, by } = gateAnswer(core, decision, readProjectConfig().approvers, Date.now());
    return await takeOver(
      store,
      record.id,
      answer,
      {
        ...options,
        said: () => `run ${record.id}: ${decision.decision === "approve" ? "approved" : "rejected"} at ${decision.instance} by ${by}`,
        staleHint: `\`flow status ${record.id}\` shows where it is now; decide again`,
      },
      io,
    );
  } finally {
    await store.close();
  }
}

function readDecision(file: string): SignedDecision {
  const parsed = SignedDecision.safeParse(readJsonFile(file, "`flow approve RUN GATE --sign-only FILE` writes one"));
  if (!parsed.success) throw new UsageError(`${file}: not a signed decision: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
