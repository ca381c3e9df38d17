// Builds the command line into dist/:
//
// - flow.mjs (and chunks/): ES modules bundled by esbuild. A bundle loads in
//   a few milliseconds; resolving chevrotain's many small modules at every
//   start would cost more than the whole `flow check` of a small file.
// - flow.blob: a V8 startup snapshot of the same program with its lexer and
//   parser already built (cli/snapshot.ts), and flow.blob.node, the
//   fingerprint of the node binary that made it and the V8 options it was
//   made with (bin/node-flags). bin/flow starts from the snapshot only when
//   that binary runs it with those options, and from flow.mjs otherwise.
// - playground/: the playground, a static site built by Vite
//   (playground/vite.config.ts) that needs no server.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { rawImports } from "./raw-import-plugin.mjs";

const { version } = JSON.parse(readFileSync("package.json", "utf8"));

const common = {
  bundle: true,
  define: { FLOW_VERSION: JSON.stringify(version) },
  platform: "node",
  target: "node20",
  legalComments: "none",
  logLevel: "warning",
  plugins: [rawImports],
  // Native and optional modules stay where npm put them: better-sqlite3 loads a compiled addon, pg may look for pg-native.
  external: ["better-sqlite3", "pg", "pg-native"],
};

rmSync("dist", { recursive: true, force: true });

await build({
  ...common,
  entryPoints: { flow: "cli/run.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  format: "esm",
  // Commands import what only they need lazily; each lands in its own chunk.
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  sourcemap: "linked",
  // Bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __flowCreateRequire } from 'node:module'; const require = __flowCreateRequire(import.meta.url);" },
});

// A snapshot is built from a classic script: one CommonJS bundle, no chunks.
await build({
  ...common,
  entryPoints: ["cli/snapshot.ts"],
  outfile: "dist/flow-snapshot.cjs",
  format: "cjs",
  // Paths are taken from the launcher at run time (FLOW_DIST), never from
  // where the snapshot was built.
  define: { ...common.define, "import.meta.url": "undefined" },
  logLevel: "error",
  // A snapshot's require() loads only Node's own modules; the external ones (the stores' drivers) are
  // loaded on first use, from dist/ as the ES module bundle would, through a require made for that place.
  banner: {
    js: 'var require = ((builtin) => (id) => { const m = builtin("node:module"); return m.isBuiltin(id) ? builtin(id) : m.createRequire(process.env.FLOW_DIST + "/flow.mjs")(id); })(require);',
  },
});
// Built with flow's V8 options (bin/node-flags), the ones bin/flow starts it with: a snapshot loads under no others.
const nodeFlags = readFileSync("bin/node-flags", "utf8").trim().split(/\s+/);
const snapshot = spawnSync(process.execPath, [...nodeFlags, "--snapshot-blob", "dist/flow.blob", "--build-snapshot", "dist/flow-snapshot.cjs"], {
  encoding: "utf8",
  env: { ...process.env, NODE_NO_WARNINGS: "1" },
});
if (snapshot.status === 0) {
  writeFileSync("dist/flow.blob.node", `${nodeFingerprint()} ${nodeFlags.join(" ")}\n`);
} else {
  // Not fatal: bin/flow runs the ES modules, only slower to start.
  rmSync("dist/flow.blob", { force: true });
  console.warn(`flow build: no startup snapshot (${(snapshot.stderr || snapshot.error?.message || "").trim().split("\n")[0]}); flow will start without it`);
}

// The playground last, with Vite (its own config says how the compiler is
// built for the browser); the command line above is complete without it.
const { build: viteBuild } = await import("vite");
await viteBuild({ configFile: "playground/vite.config.ts", mode: "production" });

/** What bin/flow compares before using the snapshot (with the V8 options after it): size, modification time and inode of the node binary. */
function nodeFingerprint() {
  const stat = statSync(process.execPath);
  return `${stat.size} ${Math.floor(stat.mtimeMs / 1000)} ${stat.ino}`;
}
