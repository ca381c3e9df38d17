/**
 * The repository's examples/, bundled into the site at build time: the
 * editor opens them, and the compiler's worker reads the files they import
 * (examples/shared/) from here, as `flow check` reads them from disk.
 * Keys are paths relative to the repository root, as the CLI names them.
 */
const files = import.meta.glob<string>("../../../examples/**/*.flow", { query: "?raw", import: "default", eager: true });

export const exampleFiles: ReadonlyMap<string, string> = new Map(Object.entries(files).map(([path, text]) => [path.replace(/^(\.\.\/)+/, ""), text]));

/** The examples to open: the files directly in examples/ (shared/ holds libraries they import). */
export const openableExamples: readonly string[] = [...exampleFiles.keys()].filter((p) => /^examples\/[^/]+\.flow$/.test(p)).sort();
