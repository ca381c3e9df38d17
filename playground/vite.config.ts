import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The playground as a static site in dist/playground/: open index.html from
 * any static server (or `flow serve`) under any path, since every URL in it
 * is relative. The compiler is the repository's own code, built for the
 * browser: the two Node modules it imports get browser versions
 * (playground/shims/), and `?raw` imports (the standard library's sources)
 * are Vite's own.
 */
export default defineConfig({
  root: here("."),
  base: "./",
  resolve: {
    alias: [
      { find: /^node:crypto$/, replacement: here("shims/node-crypto.ts") },
      { find: /^node:path\/posix$/, replacement: here("shims/node-path-posix.ts") },
    ],
  },
  worker: { format: "es" },
  build: {
    outDir: here("../dist/playground"),
    emptyOutDir: true,
    // The page awaits the fragment's source before it creates the editor (top-level await).
    target: "es2022",
    reportCompressedSize: false,
    // Monaco's editor core is one large chunk by nature; the sizes are reported by the browser tests instead.
    chunkSizeWarningLimit: 4096,
    // Rolldown's report of plugin timings is noise in every `npm run build` and test run.
    rolldownOptions: {
      // Two pages: the playground, and the run inspector that `flow serve` serves beside it.
      input: { index: here("index.html"), runs: here("runs.html") },
      checks: { pluginTimings: false },
    },
  },
  logLevel: "warn",
});
