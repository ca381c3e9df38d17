/**
 * A small seeded PRNG (mulberry32): the crash test draws every kill point
 * from it, so a failing run is repeated by giving its seed again.
 */
export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A whole number in [low, high]. */
  int(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** The seed from `FLOW_CRASH_SEED`, else a fresh one. */
export function crashSeed(): number {
  const given = process.env["FLOW_CRASH_SEED"];
  if (given !== undefined && given !== "") {
    const seed = Number(given);
    if (!Number.isInteger(seed) || seed < 0) throw new Error(`FLOW_CRASH_SEED must be a whole number, not \`${given}\``);
    return seed;
  }
  return Math.floor(Math.random() * 2 ** 32);
}
