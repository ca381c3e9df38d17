/**
 * Identifiers for a diagram's nodes and groups: letters, digits and `_`
 * only (what Mermaid and DOT both take unquoted), readable
 * (`w1_v_migrate_package` for the node `vertex:migrate_package` of the first
 * workflow), distinct, and the same on every run.
 */
export class DiagramIds {
  private readonly ids = new Map<string, string>();
  private readonly used = new Set<string>();

  /** The identifier of `key` in workflow `workflow` (1, 2, …): a model node id, or `fanOut:ID`, `arm:if:1/then`, `totals`. */
  id(workflow: number, key: string): string {
    const full = `${workflow} ${key}`;
    const known = this.ids.get(full);
    if (known !== undefined) return known;
    const colon = key.indexOf(":");
    const kind = colon < 0 ? key : key.slice(0, colon);
    const rest = colon < 0 ? "" : key.slice(colon + 1);
    const base = `w${workflow}_${prefixes[kind] ?? kind}${rest === "" ? "" : `_${rest}`}`.replace(/[^A-Za-z0-9_]+/g, "_").replace(/_+$/, "");
    let id = base;
    for (let n = 2; this.used.has(id); n++) id = `${base}_${n}`;
    this.used.add(id);
    this.ids.set(full, id);
    return id;
  }
}

const prefixes: Readonly<Record<string, string>> = {
  param: "p",
  vertex: "v",
  gate: "g",
  let: "l",
  item: "i",
  if: "c",
  barrier: "b",
  fanOut: "f",
  arm: "a",
};
