import { resolve } from "node:path";
import type { Ir } from "../compiler/ir/schema.ts";
import type { CallRoute } from "../interpreter/host/model-caller.ts";
import type { RunOptions } from "../interpreter/ledger/entry.ts";
import { type ModelSettings, providerSettings, splitModelId } from "../interpreter/models/model-settings.ts";
import type { Provider } from "../interpreter/models/provider.ts";
import { type ModelResolver, ProviderSet } from "../interpreter/models/provider-set.ts";
import { callRoute } from "../interpreter/models/route.ts";
import { readScript, ScriptError, scriptedProvider } from "../interpreter/models/scripted-provider.ts";
import { UsageError } from "./exit-codes.ts";

/**
 * How a run started here reaches its models: through the project's
 * providers (flow.config.json `models`), or, for a run started with
 * `--script FILE`, through the scripted provider for every model.
 */
export function projectModels(settings: ModelSettings): (options: RunOptions) => CallRoute {
  return (options) => {
    const providers: ModelResolver =
      options.script === undefined ? new ProviderSet(settings, (name, scripted) => scriptedProvider(name, resolve(scripted.file))) : everyModel(scriptedProvider("scripted", resolve(options.script)));
    return (models, request, signal) => callRoute(models, request, providers, { maxRetryAfterMs: settings.maxRetryAfterMs, signal });
  };
}

/** Every model id answered by one provider (`--script`): the model's name is the part after `provider:`. */
function everyModel(provider: Provider): ModelResolver {
  return { resolve: (id) => ({ provider, model: splitModelId(id)?.model ?? id }) };
}

/** The model ids of the routes the workflow's agents use, in order, each once. */
export function modelsOf(ir: Ir, workflow: string): string[] {
  const units = new Map(ir.units.map((u) => [u.name, u]));
  const routes = new Map(ir.routes.map((r) => [r.id, r]));
  const models = new Set<string>();
  for (const vertex of ir.workflows.find((w) => w.name === workflow)?.vertices ?? []) {
    const unit = units.get(vertex.unit);
    if (unit?.kind !== "agent" || unit.route === null) continue;
    for (const model of routes.get(unit.route)?.models ?? []) models.add(model.id);
  }
  return [...models];
}

/**
 * Refuses, before anything is recorded, a run whose agents could call no
 * model: a script that cannot be read, a model whose provider the
 * project does not define, a provider whose key is not in the
 * environment. (Keys are read again at each call: a run resumed
 * elsewhere reads its own.)
 */
export function checkModels(models: readonly string[], settings: ModelSettings, script: string | undefined): void {
  if (models.length === 0) return;
  if (script !== undefined) {
    try {
      readScript(resolve(script));
    } catch (error) {
      if (error instanceof ScriptError) throw new UsageError(error.message, { hint: "`--script` takes a fixture of scripted answers (README, \"Models\")" });
      throw error;
    }
    return;
  }
  for (const id of models) {
    const split = splitModelId(id);
    const provider = split === null ? undefined : providerSettings(settings, split.provider);
    if (split === null || provider === undefined) {
      throw new UsageError(`the model \`${id}\` names no provider this project defines`, {
        hint: `add it to \`models.providers\` in flow.config.json (README, "Models"), or run offline with \`--script FILE\``,
      });
    }
    const keyEnv = provider.api === "scripted" ? null : provider.apiKeyEnv;
    if (keyEnv !== null && (process.env[keyEnv] ?? "") === "") {
      throw new UsageError(`the model \`${id}\` needs an API key in the environment variable ${keyEnv}, which is not set`, {
        hint: `export ${keyEnv}=…, or run offline with \`--script FILE\` (the scripted provider)`,
      });
    }
  }
}
