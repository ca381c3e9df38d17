import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

/**
 * A CPU profile of one stretch of a benchmark (what `node --cpu-prof`
 * records, but of the timed part only, not of compiling the program or
 * generating its input), written as a .cpuprofile that Chrome's DevTools
 * open, and summarised as the functions with the most self time.
 */
export interface Profiler {
  stop(file: string): Promise<ProfileSummary>;
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** The functions with the most self time, costliest first; `where` is file:line in the bundle's sources. */
  readonly top: readonly { readonly name: string; readonly where: string; readonly selfMs: number; readonly share: number }[];
}

interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export async function startProfiler(intervalUs = 200): Promise<Profiler> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: intervalUs });
  await session.post("Profiler.start");
  return {
    async stop(file: string): Promise<ProfileSummary> {
      const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: CpuProfile };
      session.disconnect();
      writeFileSync(file, JSON.stringify(profile));
      return summarise(profile);
    },
  };
}

export function summarise(profile: CpuProfile, count = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  // Samples taken while the profiler was starting (the inspector's own `dispatch`) are not the benchmark's.
  const ownCache = new Map<number, boolean>();
  const profilersOwn = (id: number): boolean => {
    const known = ownCache.get(id);
    if (known !== undefined) return known;
    const parent = parents.get(id);
    const own = byId.get(id)?.callFrame.functionName === "startProfiler" || (parent !== undefined && profilersOwn(parent));
    ownCache.set(id, own);
    return own;
  };
  const self = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined || profilersOwn(id)) return;
    total += us;
    const name = frame.functionName || "(anonymous)";
    const file = frame.url
      .replace(/^file:\/\//, "")
      .replace(/^.*\/node_modules\//, "node_modules/")
      .replace(/^.*\/bench\/out\//, "");
    const where = file === "" ? "" : `${file}:${frame.lineNumber + 1}`;
    const key = `${name} ${where}`;
    const entry = self.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    self.set(key, entry);
  });
  const top = [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, count)
    .map((f) => ({ name: f.name, where: f.where, selfMs: f.us / 1000, share: f.us / Math.max(1, total) }));
  return { totalMs: total / 1000, top };
}
