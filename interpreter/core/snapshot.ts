import { canonicalJson } from "../../compiler/ir/canonical-json.ts";
import type { Failure, Json } from "../ledger/entry.ts";
import { ItemMap } from "./item-map.ts";
import type { FanOutState, GateState, JournalRecord, RunState, VertexState } from "./state.ts";

/**
 * A run's state at seq N as text, so that resuming reads the snapshot and
 * the entries after it rather than the whole ledger. The maps become
 * arrays in their insertion order, which is ledger order, so a restored
 * state is the state the fold would have built.
 */

interface SnapshotData {
  readonly version: 1;
  readonly state: Omit<RunState, "vertices" | "journal" | "fanOuts" | "barriers" | "timers" | "parked" | "gates" | "signals"> & {
    readonly vertices: [string, VertexState][];
    readonly journal: [string, JournalRecord][];
    readonly fanOuts: [string, { items: number; begun: number[]; dropped: [number, Failure][]; changedAt: [number, number][] }][];
    readonly barriers: string[];
    readonly timers: [string, { until: number; fired: boolean }][];
    readonly parked: [string, string][];
    readonly gates: [string, GateState][];
    readonly signals: [string, Json][];
  };
}

export function snapshotText(state: RunState): string {
  const data: SnapshotData = {
    version: 1,
    state: {
      ...state,
      vertices: [...state.vertices],
      journal: [...state.journal],
      fanOuts: [...state.fanOuts].map(([key, f]) => [key, { items: f.items, begun: [...f.begun.keys()], dropped: [...f.dropped], changedAt: [...f.changedAt] }]),
      barriers: [...state.barriers],
      timers: [...state.timers],
      parked: [...state.parked],
      gates: [...state.gates],
      signals: [...state.signals],
    },
  };
  // Canonical, so that equal states give equal snapshots, however their objects were built.
  return canonicalJson(data);
}

export function restoreSnapshot(text: string): RunState {
  const data = JSON.parse(text) as SnapshotData;
  if (data.version !== 1) throw new Error(`a snapshot of version ${String(data.version)}, which this flow does not read`);
  const s = data.state;
  return {
    ...s,
    vertices: new Map(s.vertices),
    journal: new Map(s.journal),
    fanOuts: new Map(
      s.fanOuts.map(([key, f]): [string, FanOutState] => [
        key,
        {
          items: f.items,
          begun: ItemMap.from(f.items, f.begun.map((item): [number, true] => [item, true])),
          dropped: new Map(f.dropped),
          changedAt: ItemMap.from(f.items, f.changedAt),
        },
      ]),
    ),
    barriers: new Set(s.barriers),
    timers: new Map(s.timers),
    parked: new Map(s.parked),
    gates: new Map(s.gates),
    signals: new Map(s.signals),
    result: s.result as Json,
  };
}
