/**
 * The shapes of what `flow serve` answers and takes, in one place for the
 * web app to import (types only: nothing here runs in the browser).
 * README.md, "flow serve", lists the routes.
 */
import type { z } from "zod";
import type { ApiError } from "./api-error.ts";
import type { StartBody } from "./run-starts.ts";
import type { ControlBody, DecideBody, ResumeBody, SignalBody } from "./state-changes.ts";

/** `GET /api/runs/:id`. */
export type { RunSummary } from "../../cli/commands/status.ts";
/** `GET /api/runs` answers `{ runs: RunRow[] }`. */
export type { RunRow } from "./run-list.ts";
/** `GET /api/runs/:id/graph`; its nodes, items and edges are `flow graph`'s model. */
export type { RunGraph } from "./run-graph.ts";
export type { FanOutModel, GraphEdge, GraphNode, Item } from "../../cli/graph/graph-model.ts";
/** `GET /api/runs/:id/entries`; each entry is a ledger entry (`Entry`). */
export type { EntriesPage } from "./entries-page.ts";
export type { Entry, EntryKind, Json } from "../../interpreter/ledger/entry.ts";
/** `GET /api/runs/:id/vertices/:instance`. */
export type { ModelCallView, StepView, VertexDetail } from "./vertex-detail.ts";
/** `GET /api/runs/:id/gates`. */
export type { DecidedGate, OpenWait, RunGates } from "./run-gates.ts";
/** `GET /api/runs/:id/receipt`. */
export type { Receipt } from "../../interpreter/receipts/receipt.ts";
/** `POST /api/runs/:id/replay` answers `{ run } & ReplayVerdict`. */
export type { ReplayVerdict } from "../../interpreter/replay.ts";
/** `POST /api/runs` answers (201). */
export type { StartedRun } from "./run-starts.ts";
/** What every state change answers (202). */
export type { ChangeOutcome } from "./state-changes.ts";

/** Every error's body (`{ error: { code, message, hint } }`). */
export type ErrorBody = ReturnType<ApiError["body"]>;

/** The bodies the state-changing routes take. */
export type StartRequest = z.infer<typeof StartBody>;
export type DecideRequest = z.infer<typeof DecideBody>;
export type SignalRequest = z.infer<typeof SignalBody>;
export type ControlRequest = z.infer<typeof ControlBody>;
export type ResumeRequest = z.infer<typeof ResumeBody>;
