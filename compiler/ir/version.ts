/**
 * The IR's version. Bumped when what an IR document means changes (a field
 * added, removed or read differently); readers refuse versions they do not
 * know. Apart from the zod schemas so that the compiler can stamp it
 * without loading zod.
 */
export const irVersion = 1;
