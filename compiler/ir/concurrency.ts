/**
 * At most this many vertices of a run are in flight at once, unless its
 * options say otherwise (`flow run --concurrency`, `POST /api/runs`). A
 * workflow's worst-case wall time assumes it: past it, items wait for a
 * slot whatever their fan-out's own `concurrency`. Apart from the zod
 * schemas, as version.ts, so that the compiler reads it without zod.
 */
export const defaultConcurrency = 16;
