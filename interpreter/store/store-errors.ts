/**
 * The store's refusals besides `SeqConflict` and `StaleLease` (store.ts),
 * raised alike by every backend so that callers and the conformance suite
 * can tell them apart from a broken database.
 */

export class UnknownRun extends Error {
  constructor(readonly run: string) {
    super(`run ${run} does not exist in this store`);
    this.name = "UnknownRun";
  }
}

export class RunExists extends Error {
  constructor(readonly run: string) {
    super(`run ${run} already exists in this store; a run is created once`);
    this.name = "RunExists";
  }
}
