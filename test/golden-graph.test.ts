import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, runFlowInProcess } from "./support/run-cli.ts";

/**
 * Golden graphs: `test/golden/graph/NAME.txt`, `NAME.mmd` and `NAME.dot`
 * are what `flow graph examples/NAME.flow` prints in each format.
 * `npm run golden:update` rewrites them; review the diff before committing
 * it (and look at the diagrams: `dot -Tsvg`, or any Mermaid viewer).
 */
const graphRoot = join(repoRoot, "test/golden/graph");
const update = process.env["FLOW_UPDATE_GOLDEN"] === "1";
const examples = ["monorepo-to-turbo", "framework-upgrade"];
const formats = { text: "txt", mermaid: "mmd", dot: "dot" } as const;

describe("golden graphs", () => {
  for (const name of examples) {
    for (const [format, extension] of Object.entries(formats)) {
      const golden = join(graphRoot, `${name}.${extension}`);
      it(`flow graph examples/${name}.flow --format ${format} prints ${relative(repoRoot, golden)}`, async () => {
        const result = await runFlowInProcess(["graph", `examples/${name}.flow`, "--format", format]);
        expect(result.code, result.stderr).toBe(0);
        if (update || !existsSync(golden)) {
          mkdirSync(graphRoot, { recursive: true });
          writeFileSync(golden, result.stdout);
          if (!update) throw new Error(`wrote a new golden file ${relative(repoRoot, golden)}: review it`);
          return;
        }
        expect(result.stdout).toBe(readFileSync(golden, "utf8"));
      });
    }
  }

  it("has no golden graph without its example and format", () => {
    const expected = examples.flatMap((name) => Object.values(formats).map((ext) => `${name}.${ext}`));
    expect(readdirSync(graphRoot).filter((f) => !expected.includes(f))).toEqual([]);
  });
});
