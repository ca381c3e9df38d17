import { priceOf, priceTableVersion } from "../../stdlib/prices.ts";
import type { IrIndex } from "./ir-index.ts";
import type { Problems } from "./problem.ts";

/**
 * FL0516: the IR was priced with this flow's price table
 * (stdlib/prices.json): `priceTable` names its version, and every model of
 * every route has that table's price, or none when the table lacks it
 * (an unknown price is never $0). Costs priced with another table are not
 * this flow's to vouch for.
 */
export function checkPrices(index: IrIndex, problems: Problems): void {
  const { ir } = index;
  if (ir.priceTable !== priceTableVersion) {
    problems.add(
      "FL0516",
      index.at("priceTable"),
      null,
      `the IR was priced with the price table of ${JSON.stringify(ir.priceTable)}, and this flow has the one of ${JSON.stringify(priceTableVersion)}`,
      "compile the program again with this flow to price it with its table",
    );
    return;
  }
  ir.routes.forEach((route, i) =>
    route.models.forEach((model, j) => {
      const price = priceOf(model.id);
      const recorded = model.price;
      const same = price === undefined ? recorded === null : recorded !== null && recorded.input === price.input && recorded.output === price.output;
      if (same) return;
      const shown = (p: { input: number; output: number } | null | undefined) => (p == null ? "no price" : `$${p.input} in, $${p.output} out per million tokens`);
      problems.add(
        "FL0516",
        index.at("routes", i, "models", j, "price"),
        route.span,
        `the route \`${route.id}\` prices \`${model.id}\` at ${shown(recorded)}, and the price table ${ir.priceTable} has ${shown(price)}`,
      );
    }),
  );
}
