import { StdFailure } from "../../stdlib/runtime/implementation.ts";

// The glob language of `SandboxSession.listFiles`, and so of std
// `list_files`: the same in every driver, because what a glob matches is
// part of what the std op means at its version. Written here rather than
// taken from a dependency for that reason: an upgrade must not change it.
//
// - `*` any run of characters within one path segment, `?` one character,
//   `[abc]`, `[a-z]`, `[!abc]` (or `[^abc]`) one character of a class;
// - `**` as a whole segment: any number of directories (`src/**` is every
//   file below `src`, `**/*.ts` every `.ts` file at any depth);
// - `{a,b}` either alternative (nested, and across `/`: `{src,test/unit}/*.ts`);
// - `\` makes the next character literal (`escapeGlob`).
//
// Hidden files and directories match like any other (`**/*.yml` finds
// `.github/workflows/ci.yml`); matching is case-sensitive. A glob is
// relative to the work tree: an absolute one, or one with a `..` segment,
// would leave it and is refused.

/** A compiled glob. */
export interface Glob {
  /** One entry for each alternative of the glob's `{…}` groups. */
  readonly alternatives: readonly GlobAlternative[];
}

export interface GlobAlternative {
  /** The directory a walk starts from (`""` for the work tree's root): the glob's leading literal segments. */
  readonly base: string;
  /** The glob has no wildcard at all: it can only name `base` itself. */
  readonly exact: boolean;
  /** Matches a whole relative, `/`-separated path. */
  readonly regex: RegExp;
}

/** More alternatives than this is a glob written by mistake (`{a,b}` eleven times over), not a file list. */
const maxAlternatives = 1024;

export function compileGlob(glob: string): Glob {
  if (glob.startsWith("/")) throw new StdFailure("Failed", `the glob \`${glob}\` is absolute: globs are relative to the work tree`);
  const expanded = expandBraces(glob);
  if (expanded.length > maxAlternatives)
    throw new StdFailure("Failed", `the glob \`${glob}\` has ${expanded.length} alternatives once its \`{…}\` groups are expanded; at most ${maxAlternatives} are allowed`);
  return { alternatives: expanded.map((pattern) => compileAlternative(glob, pattern)) };
}

/** The glob that matches exactly this path: every character that means something in a glob, escaped. */
export function escapeGlob(path: string): string {
  return path.replace(/[\\*?[\]{}]/g, (c) => `\\${c}`);
}

function compileAlternative(glob: string, pattern: string): GlobAlternative {
  const segments = pattern.split("/").filter((s, i) => s !== "" && !(s === "." && i === 0));
  if (segments.includes("..")) throw new StdFailure("Failed", `the glob \`${glob}\` has a \`..\` segment: globs cannot leave the work tree`);
  let literal = 0;
  while (literal < segments.length && !hasWildcard(segments[literal]!)) literal++;
  const exact = literal === segments.length;
  const base = segments.slice(0, literal).map(unescape).join("/");
  let source = "";
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === "**") source += last ? "(?:[^/]+/)*[^/]+" : "(?:[^/]+/)*";
    else source += segmentSource(segment) + (last ? "" : "/");
  });
  // An empty glob matches nothing: there is no file with an empty name.
  return { base, exact, regex: segments.length === 0 ? /(?!)/ : new RegExp(`^${source}$`, "s") };
}

function hasWildcard(segment: string): boolean {
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === "\\") i++;
    else if (c === "*" || c === "?" || (c === "[" && classEnd(segment, i) !== -1)) return true;
  }
  return false;
}

function unescape(segment: string): string {
  return segment.replace(/\\(.)/gs, "$1");
}

/** One segment (no `/`) as regular-expression source. */
function segmentSource(segment: string): string {
  let source = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === "\\" && i + 1 < segment.length) source += escapeRegex(segment[++i]!);
    else if (c === "*") {
      while (segment[i + 1] === "*") i++;
      source += "[^/]*";
    } else if (c === "?") source += "[^/]";
    else if (c === "[" && classEnd(segment, i) !== -1) {
      const end = classEnd(segment, i);
      source += classSource(segment.slice(i + 1, end));
      i = end;
    } else source += escapeRegex(c);
  }
  return source;
}

/** Where the class opened at `open` closes, or -1 when it does not (then `[` is literal). A `]` first in the class is a member. */
function classEnd(segment: string, open: number): number {
  let i = open + 1;
  if (segment[i] === "!" || segment[i] === "^") i++;
  if (segment[i] === "]") i++;
  for (; i < segment.length; i++) {
    if (segment[i] === "\\") i++;
    else if (segment[i] === "]") return i;
  }
  return -1;
}

function classSource(body: string): string {
  const negated = body.startsWith("!") || body.startsWith("^");
  let members = "";
  for (let i = negated ? 1 : 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === "\\" && i + 1 < body.length) members += escapeClassMember(body[++i]!);
    else members += c === "-" ? "-" : escapeClassMember(c);
  }
  // A class never matches the separator, negated or not: `[!a]` is one character of a segment.
  return negated ? `[^/${members}]` : `(?!/)[${members}]`;
}

function escapeClassMember(c: string): string {
  return /[A-Za-z0-9]/.test(c) ? c : `\\${c}`;
}

function escapeRegex(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}

/**
 * Brace expansion: `a{b,c{d,e}}f` is `abf`, `acdf`, `acef`. A group
 * without a comma (`{x}`) or without its `}` is literal text, as in a shell.
 */
function expandBraces(pattern: string): string[] {
  const group = firstGroup(pattern);
  if (group === undefined) return [pattern];
  const prefix = pattern.slice(0, group.open);
  const suffix = pattern.slice(group.close + 1);
  const out: string[] = [];
  for (const alternative of group.alternatives) {
    out.push(...expandBraces(prefix + alternative + suffix));
    if (out.length > maxAlternatives) break;
  }
  return out;
}

interface BraceGroup {
  readonly open: number;
  readonly close: number;
  readonly alternatives: readonly string[];
}

function firstGroup(pattern: string): BraceGroup | undefined {
  for (let open = 0; open < pattern.length; open++) {
    if (pattern[open] === "\\") {
      open++;
      continue;
    }
    if (pattern[open] !== "{") continue;
    const group = groupAt(pattern, open);
    if (group !== undefined) return group;
  }
  return undefined;
}

/** The group opening at `open`, when it closes and has a comma at its own depth. */
function groupAt(pattern: string, open: number): BraceGroup | undefined {
  let depth = 0;
  let start = open + 1;
  const alternatives: string[] = [];
  for (let i = open + 1; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") i++;
    else if (c === "{") depth++;
    else if (c === "}" && depth > 0) depth--;
    else if (c === "," && depth === 0) {
      alternatives.push(pattern.slice(start, i));
      start = i + 1;
    } else if (c === "}") {
      if (alternatives.length === 0) return undefined;
      alternatives.push(pattern.slice(start, i));
      return { open, close: i, alternatives };
    }
  }
  return undefined;
}
