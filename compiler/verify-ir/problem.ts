import type { DiagnosticCode } from "../../language/diagnostics/codes.ts";
import type { Span } from "../ir/span.ts";

/** The codes of the IR's verifier: FL05xx. */
export type IrCode = Extract<DiagnosticCode, `FL05${string}`>;

/**
 * One reason an IR is refused: a code, one sentence naming what is wrong
 * (the vertex, unit, edge or op), where it is in the document (a JSON
 * pointer, RFC 6901) and the source span the IR carries for it, when it
 * carries one. Like a diagnostic, but about a document rather than a
 * source text: there is no line and column unless the source is at hand.
 */
export interface IrProblem {
  readonly code: IrCode;
  readonly message: string;
  /** A JSON pointer into the document given to `verifyIr`: `/workflows/0/edges/3`. */
  readonly path: string;
  readonly span: Span | null;
  readonly help?: string;
}

/** A JSON pointer from its reference tokens: `~` and `/` in a token are escaped (`~0`, `~1`). */
export function pointer(...tokens: readonly (string | number)[]): string {
  return tokens.map((t) => `/${String(t).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

/** Collects problems; the checks push, `verifyIr` returns them in the order found. */
export class Problems {
  readonly list: IrProblem[] = [];

  /** `path` is a pointer, or an object that writes one out (walk.ts builds them lazily). */
  add(code: IrCode, path: string | { toString(): string }, span: Span | null, message: string, help?: string): void {
    const at = String(path);
    this.list.push(help === undefined ? { code, message, path: at, span } : { code, message, path: at, span, help });
  }
}
