import table from "./prices.json" with { type: "json" };

/**
 * The versioned price table: US dollars per million tokens, by model id
 * (`provider:model`). The static budget analysis prices a model's worst
 * case at the higher of its two prices (every token could be output); a
 * model that is not here has an unknown price, never a price of 0. A new
 * table is a new `version`: receipts name the version they were priced with.
 */
export interface ModelPrice {
  readonly input: number;
  readonly output: number;
}

export const priceTableVersion: string = table.version;

const models: ReadonlyMap<string, ModelPrice> = new Map(Object.entries(table.models));

export function priceOf(model: string): ModelPrice | undefined {
  return models.get(model);
}
