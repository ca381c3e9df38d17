import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A large program that passes every phase of `flow check`: the example
 * programs that stand alone, repeated until the result has at least `lines`
 * lines, each copy's declarations and every use of them renamed, and their
 * std imports merged into one import per module at the top.
 */
export function generateCheckedProgram(examplesDir: string, lines: number): string {
  const sources = readdirSync(examplesDir)
    .filter((f) => f.endsWith(".flow"))
    .sort()
    .map((f) => readFileSync(join(examplesDir, f), "utf8"))
    // Files importing other files would need them renamed alike: leave them out.
    .filter((text) => !/from "\.\.?\//.test(text));
  const imports = new Map<string, Set<string>>();
  const bodies = sources.map((text) => {
    const body = text.replace(/^import \{([^}]*)\} from "(std\/\w+)"\n/gm, (_, names: string, module: string) => {
      const set = imports.get(module) ?? new Set<string>();
      for (const name of names.split(",").map((n) => n.trim())) set.add(name);
      imports.set(module, set);
      return "";
    });
    const declared = [...body.matchAll(/^(?:node|agent|verifier|workflow|type|models) ([A-Za-z_]\w*)/gm)].map((m) => m[1]!);
    return { body, pattern: new RegExp(`\\b(${declared.join("|")})\\b`, "g") };
  });
  const header = [...imports].map(([module, names]) => `import { ${[...names].join(", ")} } from "${module}"`).join("\n");
  const chunks: string[] = [header];
  let count = header.split("\n").length;
  for (let copy = 0; count < lines; copy++) {
    const { body, pattern } = bodies[copy % bodies.length]!;
    const renamed = body.replace(pattern, `$1_${copy}`);
    chunks.push(renamed);
    count += renamed.split("\n").length;
  }
  return chunks.join("\n");
}
