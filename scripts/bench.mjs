// `node scripts/bench.mjs NAME [args]`: bundles bench/NAME/run.ts the way the
// command line is bundled and runs it, so benchmarks measure the code users
// run, not a development loader's (tsx wraps every closure to keep its name,
// which alone triples parsing time).
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { rawImports } from "./raw-import-plugin.mjs";

const [name, ...args] = process.argv.slice(2);
if (!name) {
  console.error("usage: node scripts/bench.mjs NAME [args]   (bench/NAME/run.ts)");
  process.exit(2);
}
const outfile = `bench/out/${name}.mjs`;
await build({
  entryPoints: [`bench/${name}/run.ts`],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
  packages: "external",
  plugins: [rawImports],
});
const result = spawnSync(process.execPath, ["--expose-gc", outfile, ...args], { stdio: "inherit" });
process.exit(result.status ?? 1);
