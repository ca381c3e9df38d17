/**
 * The default of `--park-after`: a run with nothing in flight whose next
 * timer is further off than this parks (the process exits; `flow tick`
 * continues it when the time comes) rather than waiting in this process.
 */
export const defaultParkAfterMs = 60_000;
