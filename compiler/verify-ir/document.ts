import { canonicalJson, sha256Hex } from "../ir/hash.ts";
import { Ir } from "../ir/schema.ts";
import type { Span } from "../ir/span.ts";
import { readableIrVersions } from "../ir/version.ts";
import { pointer, type Problems } from "./problem.ts";

/** At most this many schema errors are listed: past the first few, the document is simply not an IR. */
const shownIssues = 10;

/**
 * What `verifyIr` was given, read: an IR, or the file `flow compile` writes,
 * `{ "hash", "ir" }`, whose hash is then checked. An unknown `irVersion` is
 * refused before anything else is read (a later version may mean anything),
 * and a document the IR's zod schemas refuse is not looked at further.
 * `prefix` is the pointer of the IR in the document (`/ir` in a file).
 */
export function readDocument(input: unknown, problems: Problems): { readonly ir: Ir; readonly prefix: string } | undefined {
  const isFile = isObject(input) && Object.hasOwn(input, "ir");
  const prefix = isFile ? "/ir" : "";
  const document = isFile ? input["ir"] : input;
  if (isFile) {
    const extra = Object.keys(input).filter((k) => k !== "hash" && k !== "ir");
    for (const key of extra) problems.add("FL0501", pointer(key), null, `an IR file holds \`hash\` and \`ir\` only, and this one also has \`${key}\``);
    if (typeof input["hash"] !== "string" || !/^[0-9a-f]{64}$/.test(input["hash"]))
      problems.add("FL0501", "/hash", null, "the file's `hash` is not a sha256 in hex (64 characters 0-9, a-f)");
  }
  if (!isObject(document)) {
    problems.add("FL0501", prefix, null, `an IR is a JSON object, and this is ${describe(document)}`);
    return undefined;
  }
  const version = document["irVersion"];
  if (version === undefined) {
    problems.add("FL0501", `${prefix}/irVersion`, null, "the document has no `irVersion`: it is not a flow IR");
    return undefined;
  }
  if (typeof version !== "number") {
    problems.add("FL0501", `${prefix}/irVersion`, null, `\`irVersion\` is ${JSON.stringify(version)}, which is not a version number`);
    return undefined;
  }
  if (!(readableIrVersions as readonly number[]).includes(version)) {
    problems.add(
      "FL0502",
      `${prefix}/irVersion`,
      null,
      `\`irVersion\` is ${JSON.stringify(version)}, and this flow reads versions ${readableIrVersions.join(" and ")}`,
      "compile the program again with this flow, or verify it with the flow that compiled it",
    );
    return undefined;
  }
  const parsed = Ir.safeParse(document);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    for (const issue of issues.slice(0, shownIssues)) {
      const at = issue.path.filter((p): p is string | number => typeof p !== "symbol");
      problems.add("FL0501", `${prefix}${pointer(...at)}`, nearestSpan(document, at), `not an IR: ${lowerFirst(issue.message)}`);
    }
    if (issues.length > shownIssues)
      problems.add("FL0501", prefix, null, `not an IR: ${issues.length - shownIssues} more places differ from the IR's schema`);
    return undefined;
  }
  if (isFile && typeof input["hash"] === "string") {
    const actual = sha256Hex(canonicalJson(document));
    if (actual !== input["hash"])
      problems.add(
        "FL0503",
        "/hash",
        null,
        `the file says the IR's sha256 is ${input["hash"]}, and the IR in it hashes to ${actual}: it was changed after it was compiled`,
        "compile the program again; an IR is never edited by hand",
      );
  }
  parsed.data.sources.forEach((source, i) => {
    const problem = linesProblem(parsed.data.irVersion, source.lines);
    if (problem !== null) problems.add("FL0501", `${prefix}${pointer("sources", i, "lines")}`, null, problem);
  });
  return { ir: parsed.data, prefix };
}

/** What is wrong with a source file's line table: required since version 2, 0 first, then increasing. */
function linesProblem(version: Ir["irVersion"], lines: readonly number[] | undefined): string | null {
  if (lines === undefined) return version >= 2 ? "a source file of IR version 2 has `lines`, where its lines begin, and this one has none" : null;
  if (lines[0] !== 0) return "a source file's `lines` begin with 0, where its first line begins";
  const back = lines.findIndex((start, i) => i > 0 && start <= lines[i - 1]!);
  return back === -1 ? null : `a source file's \`lines\` increase, and item ${back} is not past the one before`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value === undefined) return "missing";
  return `a ${typeof value}`;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** The span of the innermost element on the way to `path` that has one: what a malformed part of the IR came from. */
function nearestSpan(root: unknown, path: readonly (string | number)[]): Span | null {
  let found: Span | null = null;
  let at: unknown = root;
  for (const key of [undefined, ...path]) {
    if (key !== undefined) at = isObject(at) || Array.isArray(at) ? (at as Record<string | number, unknown>)[key] : undefined;
    if (isObject(at) && isSpan(at["span"])) found = at["span"];
  }
  return found;
}

function isSpan(value: unknown): value is Span {
  return (
    isObject(value) &&
    typeof value["file"] === "string" &&
    Number.isInteger(value["start"]) &&
    Number.isInteger(value["end"])
  );
}
