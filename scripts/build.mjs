// Bundles the command line into ES modules: dist/flow.mjs and a chunk per
// lazily loaded command. A bundle loads in a few milliseconds; resolving
// chevrotain's many small modules at every start would cost more than the
// whole `flow check` of a small file.
import { build } from "esbuild";

await build({
  entryPoints: { flow: "cli/main.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  // Commands import what only they need lazily; each lands in its own chunk.
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
  // Bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __flowCreateRequire } from 'node:module'; const require = __flowCreateRequire(import.meta.url);" },
});
