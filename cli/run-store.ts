import { openStore } from "../interpreter/store/open-store.ts";
import type { RunRecord, Store } from "../interpreter/store/store.ts";
import { UsageError } from "./exit-codes.ts";

/**
 * The store a run command uses: `--store`, else `FLOW_STORE`, else the
 * embedded default, `.flow/flow.db` under the current directory (the
 * project a user runs flow from, as git finds its repository).
 */
export async function openRunStore(spec: string | undefined): Promise<Store> {
  try {
    return await openStore(spec ?? process.env["FLOW_STORE"], process.cwd());
  } catch (error) {
    throw new UsageError((error as Error).message, { hint: "give `--store sqlite:PATH`, `--store postgres://USER@HOST/DB` or `--store memory:`" });
  }
}

/** A run named by its id or a unique prefix of it, as `git` takes commits. */
export async function findRun(store: Store, id: string): Promise<RunRecord> {
  const exact = await store.getRun(id);
  if (exact !== null) return exact;
  const matches = (await store.listRuns()).filter((run) => run.id.startsWith(id));
  if (matches.length === 1 && matches[0] !== undefined) return matches[0];
  if (matches.length > 1) {
    throw new UsageError(`\`${id}\` names ${matches.length} runs: ${matches.slice(0, 5).map((r) => r.id).join(", ")}${matches.length > 5 ? ", …" : ""}`, {
      hint: "give more of the id",
    });
  }
  throw new UsageError(`no run \`${id}\` in ${store.kind === "sqlite" ? "this project's store" : `the ${store.kind} store`}`, {
    hint: "`flow runs` lists the runs; `--store` names another store",
  });
}
