// `import text from "./x.flow?raw"` for esbuild, as Vite (tests, playground)
// already understands it: the file's text as the default export.
import { readFile } from "node:fs/promises";
import { resolve, dirname } from "node:path";

export const rawImports = {
  name: "raw-imports",
  setup(build) {
    build.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: resolve(dirname(args.importer), args.path.slice(0, -"?raw".length)),
      namespace: "raw",
    }));
    build.onLoad({ filter: /.*/, namespace: "raw" }, async (args) => ({
      contents: await readFile(args.path, "utf8"),
      loader: "text",
    }));
  },
};
