import type { RunStatus } from "./store.ts";

/** The statuses of a run that has ended: nothing more of it runs, and nothing waits. */
export const endedStatuses: readonly RunStatus[] = ["completed", "failed", "cancelled"];

/** What a run that has ended has done, said after "has": `completed`, `failed`, `been cancelled`; null for one that has not ended. */
export function endedAs(status: RunStatus): string | null {
  if (!endedStatuses.includes(status)) return null;
  return status === "cancelled" ? "been cancelled" : status;
}
