import { unfold } from "./derive-type.ts";
import type { IrIndex } from "./ir-index.ts";
import type { Problems } from "./problem.ts";
import type { SchemaSubset } from "./schema-subset.ts";

/**
 * FL0513: every fan-out is bounded, and by what its template says. Its
 * list has a `maxItems` or the fan-out a `limit` (or both), and `bound` is
 * the smaller of the two: the most items it can ever run, by which the
 * cost of everything in it is multiplied. A bound that is not what the
 * list and limit give would price the plan for fewer items than it may
 * run (or more than it can).
 */
export function checkBounds(index: IrIndex, subset: SchemaSubset, problems: Problems): void {
  for (const { workflow, path } of index.graphs) {
    workflow.fanOuts.forEach((f, j) => {
      if (!subset.supported(f.list)) return;
      const list = unfold(f.list, subset);
      // Not a list: reported with the types (FL0507).
      if (list?.type !== "array") return;
      const at = `${path}/fanOuts/${j}`;
      const max = list.maxItems;
      if (max === undefined && f.limit === null) {
        problems.add(
          "FL0513",
          `${at}/list`,
          f.span,
          `in \`${workflow.name}\`, the fan-out \`for ${f.binding}\` (\`${f.id}\`) iterates a list with no \`maxItems\` and has no \`limit\`: nothing bounds how many times it runs`,
          "a fan-out's list has a static bound (`List<T, max N>`) or the fan-out a `limit N`",
        );
        return;
      }
      const bound = Math.min(max ?? Infinity, f.limit ?? Infinity);
      if (f.bound !== bound)
        problems.add(
          "FL0513",
          `${at}/bound`,
          f.span,
          `in \`${workflow.name}\`, the fan-out \`${f.id}\` records a bound of ${f.bound}, and ${[max === undefined ? "" : `its list holds at most ${max}`, f.limit === null ? "" : `its limit is ${f.limit}`].filter(Boolean).join(" and ")}: ${bound}`,
        );
    });
  }
}
