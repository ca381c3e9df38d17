import { spawnSync } from "node:child_process";

/**
 * Structural checks of the diagrams `flow graph` writes, for machines
 * without Graphviz or Mermaid: each returns the problems it finds (none
 * for a well-formed diagram). `graphviz` runs the real `dot` when it is
 * installed.
 */

/** Whether Graphviz's `dot` is on the PATH. */
export const hasGraphviz = spawnSync("dot", ["-V"], { encoding: "utf8" }).status === 0;

/** What `dot -Tsvg` says about a graph: its exit code and standard error (warnings included). */
export function graphviz(dot: string): { readonly code: number | null; readonly stderr: string; readonly svg: string } {
  const result = spawnSync("dot", ["-Tsvg"], { input: dot, encoding: "utf8" });
  return { code: result.status, stderr: result.stderr, svg: result.stdout };
}

type Token = { readonly kind: "id" | "string" | "punct"; readonly text: string };

function dotTokens(text: string, problems: string[]): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s+|"((?:[^"\\]|\\[\s\S])*)"|([A-Za-z_][A-Za-z0-9_]*|-?\d+(?:\.\d+)?)|(->|[{}[\];,=])/y;
  let at = 0;
  while (at < text.length) {
    pattern.lastIndex = at;
    const m = pattern.exec(text);
    if (m === null) {
      problems.push(`unexpected ${JSON.stringify(text.slice(at, at + 20))} at ${at}`);
      return tokens;
    }
    at = pattern.lastIndex;
    if (m[1] !== undefined) {
      // Only the escapes flow writes: \" and \\ for the characters, \n and \l for line breaks.
      for (const escape of m[1].matchAll(/\\([\s\S])/g)) {
        if (!'"\\nl'.includes(escape[1]!)) problems.push(`unexpected escape \\${escape[1]} in ${m[0]}`);
      }
      if (/[\n\r]/.test(m[1])) problems.push(`a raw line break in ${m[0]}`);
      tokens.push({ kind: "string", text: m[1] });
    } else if (m[2] !== undefined) tokens.push({ kind: "id", text: m[2] });
    else if (m[3] !== undefined) tokens.push({ kind: "punct", text: m[3] });
  }
  return tokens;
}

/**
 * A DOT `digraph` as `flow graph` writes it: statements of nodes with
 * attributes, edges between declared nodes, `subgraph cluster_…` blocks
 * balanced, each `ltail` a cluster holding the edge's tail, strings with
 * only the escapes Graphviz reads.
 */
export function dotProblems(text: string): string[] {
  const problems: string[] = [];
  const tokens = dotTokens(text, problems);
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const take = (what?: string): Token => {
    const t = tokens[i++];
    if (t === undefined) throw new Error("unexpected end");
    if (what !== undefined && t.text !== what) throw new Error(`expected ${what}, found ${t.text}`);
    return t;
  };
  const nodes = new Set<string>();
  const clusters = new Map<string, Set<string>>();
  const edges: { from: string; to: string; attributes: Map<string, string> }[] = [];
  const attributes = (): Map<string, string> => {
    const found = new Map<string, string>();
    if (peek()?.text !== "[") return found;
    take("[");
    while (peek()?.text !== "]") {
      const key = take().text;
      take("=");
      const value = take();
      if (value.kind === "punct") throw new Error(`attribute ${key} has no value`);
      found.set(key, value.text);
      if (peek()?.text === ",") take(",");
    }
    take("]");
    return found;
  };
  const statements = (open: string[]): void => {
    while (peek() !== undefined && peek()!.text !== "}") {
      const first = take();
      if (first.text === "subgraph") {
        const name = take().text;
        if (!name.startsWith("cluster")) problems.push(`subgraph ${name} is not a cluster`);
        if (clusters.has(name)) problems.push(`two clusters ${name}`);
        clusters.set(name, new Set());
        take("{");
        statements([...open, name]);
        take("}");
        continue;
      }
      if (first.kind === "punct") throw new Error(`unexpected ${first.text}`);
      if (peek()?.text === "=") {
        take("=");
        take();
      } else if (peek()?.text === "->") {
        take("->");
        const to = take().text;
        edges.push({ from: first.text, to, attributes: attributes() });
      } else if (["graph", "node", "edge"].includes(first.text)) {
        attributes();
      } else {
        if (nodes.has(first.text)) problems.push(`node ${first.text} declared twice`);
        nodes.add(first.text);
        for (const cluster of open) clusters.get(cluster)!.add(first.text);
        attributes();
      }
      take(";");
    }
  };
  try {
    take("digraph");
    if (tokens[i]?.text !== "{") take();
    take("{");
    statements([]);
    take("}");
    if (i !== tokens.length) problems.push("text after the graph");
  } catch (error) {
    problems.push(`${(error as Error).message} (token ${i})`);
  }
  for (const e of edges) {
    if (!nodes.has(e.from)) problems.push(`edge from undeclared ${e.from}`);
    if (!nodes.has(e.to)) problems.push(`edge to undeclared ${e.to}`);
    const ltail = e.attributes.get("ltail");
    if (ltail !== undefined && !clusters.get(ltail)?.has(e.from)) problems.push(`ltail ${ltail} does not hold ${e.from}`);
  }
  return problems;
}

const mermaidShapes: readonly [string, string][] = [
  ["([", "])"],
  ["((", "))"],
  ["[[", "]]"],
  ["{{", "}}"],
  ["[/", "\\]"],
  ["[/", "/]"],
  ["[\\", "/]"],
  ["[\\", "\\]"],
  ["[", "]"],
  ["(", ")"],
  ["{", "}"],
  [">", "]"],
];

/** Text in a quoted Mermaid label: no quote, angle bracket, pipe or backtick; `#` only as an entity code. */
function labelProblems(label: string, where: string): string[] {
  const problems: string[] = [];
  if (/["<>|`]/.test(label.replace(/<br\/>/g, ""))) problems.push(`raw markup in the label of ${where}: ${label}`);
  if (/#(?!\d+;)/.test(label)) problems.push(`a # that is not an entity code in ${where}: ${label}`);
  return problems;
}

/**
 * A Mermaid flowchart as `flow graph` writes it: `flowchart TD`, then
 * subgraphs (balanced with `end`), nodes of known shapes with quoted,
 * escaped labels, each id declared once, edges between declared nodes or
 * subgraphs, and the classes and link styles of declared ones.
 */
export function mermaidProblems(text: string): string[] {
  const problems: string[] = [];
  const lines = text.split("\n");
  if (lines[0] !== "flowchart TD") problems.push(`the first line is ${JSON.stringify(lines[0])}`);
  if (lines[lines.length - 1] !== "") problems.push("no newline at the end");
  const ids = new Set<string>();
  const declare = (id: string, where: number): void => {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(id) || id === "end") problems.push(`line ${where}: bad id ${id}`);
    if (ids.has(id)) problems.push(`line ${where}: ${id} declared twice`);
    ids.add(id);
  };
  const edges: { from: string; to: string; line: number }[] = [];
  const classes: { members: string[]; line: number }[] = [];
  let linkStyles: number[] = [];
  let depth = 0;
  lines.slice(1, -1).forEach((raw, index) => {
    const n = index + 2;
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^subgraph (\w+)\["([^"]*)"\]$/.exec(line))) {
      declare(m[1]!, n);
      problems.push(...labelProblems(m[2]!, m[1]!));
      depth++;
    } else if (line === "end") {
      depth--;
      if (depth < 0) problems.push(`line ${n}: end without subgraph`);
    } else if (line === "direction TB") {
      if (depth === 0) problems.push(`line ${n}: direction outside a subgraph`);
    } else if ((m = /^(\w+) (-->|==>|-\.->)(?:\|"([^"]*)"\|)? (\w+)$/.exec(line))) {
      edges.push({ from: m[1]!, to: m[4]!, line: n });
      if (m[3] !== undefined) problems.push(...labelProblems(m[3], `the edge on line ${n}`));
    } else if ((m = /^classDef (\w+) [\w#:,. -]+$/.exec(line))) {
      // a style
    } else if ((m = /^class ([\w,]+) (\w+)$/.exec(line))) {
      classes.push({ members: m[1]!.split(","), line: n });
    } else if ((m = /^linkStyle ([\d,]+) [\w#:,. -]+$/.exec(line))) {
      linkStyles = m[1]!.split(",").map(Number);
    } else if ((m = /^(\w+)(.*)$/.exec(line))) {
      const [, id, rest] = m as unknown as [string, string, string];
      const shape = mermaidShapes.find(([open, close]) => rest.startsWith(`${open}"`) && rest.endsWith(`"${close}`));
      if (shape === undefined) {
        problems.push(`line ${n}: not a node, edge or subgraph: ${line}`);
        return;
      }
      declare(id, n);
      problems.push(...labelProblems(rest.slice(shape[0].length + 1, rest.length - shape[1].length - 1), id));
    } else {
      problems.push(`line ${n}: not understood: ${line}`);
    }
  });
  if (depth !== 0) problems.push(`${depth} subgraphs not closed`);
  for (const e of edges) {
    if (!ids.has(e.from)) problems.push(`line ${e.line}: edge from undeclared ${e.from}`);
    if (!ids.has(e.to)) problems.push(`line ${e.line}: edge to undeclared ${e.to}`);
  }
  for (const c of classes) for (const id of c.members) if (!ids.has(id)) problems.push(`line ${c.line}: class of undeclared ${id}`);
  for (const index of linkStyles) if (index >= edges.length) problems.push(`linkStyle ${index} names no edge`);
  return problems;
}
