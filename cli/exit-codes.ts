/** Exit codes shared by every command (ARCHITECTURE.md, "Command line"). */
export const exitCodes = {
  ok: 0,
  /** A run failed, or `fmt --check` found files to reformat. */
  failed: 1,
  usage: 2,
  compileError: 65,
  internal: 70,
} as const;

/** An error the user can act on: printed as one line, never with a stack. */
export class UsageError extends Error {
  /** A second line pointing somewhere useful. */
  readonly hint: string | undefined;

  constructor(message: string, options: { hint?: string } = {}) {
    super(message);
    this.name = "UsageError";
    this.hint = options.hint;
  }
}
