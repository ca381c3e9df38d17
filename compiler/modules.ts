import { dirname, join, normalize } from "node:path/posix";
import type { ImportDecl } from "../language/ast.ts";
import type { Diagnostic } from "../language/diagnostics/diagnostic.ts";
import { parse, type ParseResult } from "../language/parse.ts";
import { SourceFile } from "../language/source-file.ts";
import { syntaxError } from "../language/syntax-error.ts";
import { closestName } from "../language/closest-name.ts";
import { stdModules, type StdModule } from "../stdlib/index.ts";

/** Where source files come from: the file system for the command line, memory for the playground. */
export interface ModuleHost {
  /** The text of a file, or undefined when there is none. Paths use `/`. */
  readFile(path: string): string | undefined;
}

export interface Module {
  readonly path: string;
  readonly source: SourceFile;
  readonly parsed: ParseResult;
  /** Set for a standard-library module (`std/list`): the only files that may declare `fn`s. */
  readonly std: StdModule | undefined;
}

/** A program: its entry file and every file it imports, transitively, parsed once each. */
export interface ModuleGraph {
  readonly entry: Module;
  readonly modules: ReadonlyMap<string, Module>;
  /** What each import resolved to, std modules included. */
  readonly targets: ReadonlyMap<ImportDecl, Module>;
  readonly diagnostics: readonly Diagnostic[];
}

export function isStdModule(from: string): boolean {
  return from.startsWith("std/");
}

/**
 * Parses the entry file and, breadth-first, every file it imports: by a
 * relative path (`"./shared/releases.flow"`, resolved against the importing
 * file) or from the standard library (`"std/list"`, declared in `stdlib/`
 * and bundled with the compiler). A missing file is FL0207, a cycle FL0208;
 * both point at the import that closes them.
 */
export function loadModules(entry: SourceFile, host: ModuleHost, parsed: Map<string, Module> = new Map()): ModuleGraph {
  const modules = new Map<string, Module>();
  const targets = new Map<ImportDecl, Module>();
  const diagnostics: Diagnostic[] = [];
  // `parsed` outlives one graph: several files checked together parse a library they share once.
  const load = (source: SourceFile, std?: StdModule): Module => {
    const known = parsed.get(source.path);
    if (known !== undefined && known.source.text === source.text) return known;
    const module: Module = { path: source.path, source, parsed: parse(source), std };
    parsed.set(source.path, module);
    return module;
  };
  const first = load(entry);
  modules.set(first.path, first);
  const queue: Module[] = [first];
  const imports = new Map<string, string[]>();

  for (let module = queue.shift(); module !== undefined; module = queue.shift()) {
    const edges: string[] = [];
    for (const decl of module.parsed.program.decls) {
      // A path with `${…}` in it is a syntax error (FL0110), reported already.
      if (decl.kind !== "ImportDecl" || decl.from.parts.some((p) => p.kind === "InterpolationPart")) continue;
      const from = decl.from.parts.map((p) => (p.kind === "TextPart" ? p.value : "")).join("");
      if (isStdModule(from)) {
        const std = stdModules.get(from);
        if (std === undefined) {
          const close = closestName(from, [...stdModules.keys()]);
          diagnostics.push(
            syntaxError(module.source, "FL0207", decl.from.span, {
              message: `there is no standard module \`${from}\``,
              label: close === undefined ? "no such module" : `did you mean \`"${close}"\`?`,
              help: `the standard modules are ${[...stdModules.keys()].map((m) => `\`${m}\``).join(", ")}`,
            }),
          );
          continue;
        }
        let target = modules.get(from);
        if (target === undefined) {
          target = load(new SourceFile(from, std.source), std);
          modules.set(from, target);
          queue.push(target);
        }
        targets.set(decl, target);
        continue;
      }
      const path = normalize(join(dirname(module.path), from));
      let target = modules.get(path);
      if (target === undefined) {
        const text = host.readFile(path);
        if (text === undefined) {
          const withExtension = path.endsWith(".flow") ? undefined : host.readFile(`${path}.flow`);
          diagnostics.push(
            syntaxError(module.source, "FL0207", decl.from.span, {
              message: `there is no file \`${path}\` to import from`,
              label: withExtension === undefined ? "no such file" : `did you mean \`"${from}.flow"\`?`,
              help: 'paths are relative to the importing file and name the file with its extension, such as `"./shared/releases.flow"`; standard modules start with `std/`',
            }),
          );
          continue;
        }
        target = load(new SourceFile(path, text));
        modules.set(path, target);
        queue.push(target);
      }
      targets.set(decl, target);
      edges.push(path);
      if (reaches(imports, path, module.path)) {
        diagnostics.push(
          syntaxError(module.source, "FL0208", decl.from.span, {
            message: `importing \`${path}\` closes a cycle: it imports \`${module.path}\`, directly or through other files`,
            label: "closes an import cycle",
            help: "move what both files need into a third file that imports neither",
          }),
        );
      }
    }
    imports.set(module.path, edges);
  }
  return { entry: first, modules, targets, diagnostics };
}

/** Whether `from` reaches `to` through the import edges recorded so far (or is it). */
function reaches(imports: ReadonlyMap<string, readonly string[]>, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const at = stack.pop()!;
    if (at === to) return true;
    if (seen.has(at)) continue;
    seen.add(at);
    stack.push(...(imports.get(at) ?? []));
  }
  return false;
}
