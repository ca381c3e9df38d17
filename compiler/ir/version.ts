/**
 * The IR's version. Bumped when what an IR document means changes (a field
 * added, removed or read differently); readers refuse versions they do not
 * know. Apart from the zod schemas so that the compiler can stamp it
 * without loading zod.
 *
 * Version 2 added each source file's `lines`. Version 1 is still read, as
 * version 2 without them: a ledger holds the IR its run was recorded with,
 * and replay must read every ledger this flow ever wrote.
 */
export const irVersion = 2;

/** The versions this flow reads, oldest first. */
export const readableIrVersions = [1, 2] as const;
