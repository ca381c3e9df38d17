import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "./run-cli.ts";

/**
 * Bundles a TypeScript entry point into one ES module that a plain `node`
 * runs (a child process a test kills), with the build's own plugin for the
 * `?raw` imports (the std library's `.flow` files, the microVM guest's
 * sources). `packagesExternal`: npm packages are left to resolve from where
 * the bundle is put (beside a node_modules), or bundled in.
 */
export async function bundleForNode(entry: string, outfile: string, packagesExternal: boolean): Promise<string> {
  const { build } = await import("esbuild");
  const plugin = (await import(pathToFileURL(join(repoRoot, "scripts", "raw-import-plugin.mjs")).href)) as { rawImports: import("esbuild").Plugin };
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    ...(packagesExternal ? { packages: "external" as const } : {}),
    plugins: [plugin.rawImports],
    logLevel: "warning",
  });
  return outfile;
}
