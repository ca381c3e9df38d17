import { existsSync } from "node:fs";
import { openStore, sqliteFileOf } from "../interpreter/store/open-store.ts";
import type { RunRecord, Store } from "../interpreter/store/store.ts";
import { UsageError } from "./exit-codes.ts";

/**
 * The store a run command uses: `--store`, else `FLOW_STORE`, else the
 * embedded default, `.flow/flow.db` under the current directory (the
 * project a user runs flow from, as git finds its repository).
 *
 * Only the commands that start runs make a SQLite store that is not there
 * (`create`); the others refuse it (NoStore), so a mistyped path is not
 * taken for an empty store, and looking at a directory leaves nothing in it.
 */
export async function openRunStore(spec: string | undefined, options: { readonly create: boolean }): Promise<Store> {
  const chosen = spec ?? process.env["FLOW_STORE"];
  const from = spec === undefined && chosen !== undefined ? " (from FLOW_STORE)" : "";
  const file = sqliteFileOf(chosen, process.cwd());
  if (!options.create && file !== null && !existsSync(file)) {
    const here = chosen === undefined || chosen === "sqlite:";
    throw new NoStore(here ? "there is no store here (.flow/flow.db): no run has been started in this directory" : `there is no store at \`${file}\`${from}`, here);
  }
  try {
    return await openStore(chosen, process.cwd());
  } catch (error) {
    const message = (error as Error).message;
    const hint = "give `--store sqlite:PATH`, `--store postgres://USER@HOST/DB` or `--store memory:`";
    if (message.startsWith("unknown store")) throw new UsageError(from === "" ? message : message.replace(/;/, `${from};`), { hint });
    // Which store could not be opened: the bare "unable to open database file" or "ECONNREFUSED" does not say.
    throw new UsageError(`cannot open the store ${chosen === undefined ? ".flow/flow.db" : shownStore(chosen)}${from}: ${message}`, { hint });
  }
}

/** The SQLite store a command that does not make one was pointed at is not there: the project's own (`here`), or one named. */
export class NoStore extends UsageError {
  constructor(
    message: string,
    readonly here: boolean,
  ) {
    super(message, { hint: "`flow run FILE` starts a run and makes the store; `--store` names another" });
  }
}

/** A store's address as it may be shown: a PostgreSQL URL's password hidden. */
function shownStore(spec: string): string {
  try {
    const url = new URL(spec);
    if (url.password !== "") url.password = "***";
    return url.protocol === "sqlite:" ? spec : url.toString();
  } catch {
    return spec;
  }
}

/** What an id or prefix names: one run, several, or none. */
export type RunLookup =
  | { readonly kind: "found"; readonly record: RunRecord }
  | { readonly kind: "ambiguous"; readonly matches: readonly RunRecord[] }
  | { readonly kind: "none" };

/** The run an id or a unique prefix of it names, as `git` takes commits; `flow serve` answers 404 or 400 from this. */
export async function lookupRun(store: Store, id: string): Promise<RunLookup> {
  const exact = await store.getRun(id);
  if (exact !== null) return { kind: "found", record: exact };
  const matches = (await store.listRuns()).filter((run) => run.id.startsWith(id));
  if (matches.length === 1 && matches[0] !== undefined) return { kind: "found", record: matches[0] };
  return matches.length > 1 ? { kind: "ambiguous", matches } : { kind: "none" };
}

/** A run named by its id or a unique prefix of it; a usage error otherwise. */
export async function findRun(store: Store, id: string): Promise<RunRecord> {
  const found = await lookupRun(store, id);
  switch (found.kind) {
    case "found":
      return found.record;
    case "ambiguous": {
      const { matches } = found;
      throw new UsageError(`\`${id}\` names ${matches.length} runs: ${matches.slice(0, 5).map((r) => r.id).join(", ")}${matches.length > 5 ? ", …" : ""}`, {
        hint: "give more of the id",
      });
    }
    case "none":
      throw new UsageError(`no run \`${id}\` in ${store.kind === "sqlite" ? "this project's store" : `the ${store.kind} store`}`, {
        hint: "`flow runs` lists the runs; `--store` names another store",
      });
  }
}
