import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../compiler/ir/hash.ts";
import { readableJson } from "./support/readable-json.ts";
import { repoRoot, runFlow, runFlowInProcess } from "./support/run-cli.ts";

/**
 * Golden IR: `test/golden/ir/NAME.ir.json` is what `flow compile
 * examples/NAME.flow` writes, kept readable (support/readable-json.ts);
 * the test compares the canonical bytes of both, so the golden pins every
 * byte of the output. `npm run golden:update` rewrites them; review the
 * diff before committing it.
 */
const irRoot = join(repoRoot, "test/golden/ir");
const update = process.env["FLOW_UPDATE_GOLDEN"] === "1";
const examples = readdirSync(join(repoRoot, "examples"))
  .filter((f) => f.endsWith(".flow"))
  .sort()
  .map((f) => `examples/${f}`);

describe("golden IR", () => {
  for (const example of examples) {
    const golden = join(irRoot, basename(example).replace(/\.flow$/, ".ir.json"));
    it(`${example} compiles to ${relative(repoRoot, golden)}`, async () => {
      const result = await runFlowInProcess(["compile", example]);
      expect(result.code, result.stderr).toBe(0);
      if (update || !existsSync(golden)) {
        mkdirSync(irRoot, { recursive: true });
        writeFileSync(golden, readableJson(JSON.parse(result.stdout)));
        if (!update) throw new Error(`wrote a new golden file ${relative(repoRoot, golden)}: review it`);
        return;
      }
      expect(result.stdout).toBe(`${canonicalJson(JSON.parse(readFileSync(golden, "utf8")))}\n`);
    });
  }

  it("has no golden IR without its example", () => {
    const orphans = readdirSync(irRoot).filter((f) => !examples.includes(`examples/${f.replace(/\.ir\.json$/, ".flow")}`));
    expect(orphans).toEqual([]);
  });

  it("gives the same bytes when compiled twice, in this process and by the binary", async () => {
    const example = "examples/compliance-sweep.flow";
    const first = await runFlowInProcess(["compile", example]);
    const second = await runFlowInProcess(["compile", example]);
    const binary = runFlow(["compile", example]);
    expect(second.stdout).toBe(first.stdout);
    expect(binary.stdout).toBe(first.stdout);
    expect(binary.stderr).toBe(first.stderr);
  });
});
