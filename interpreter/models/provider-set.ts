import { AnthropicProvider } from "./anthropic-provider.ts";
import { builtInProviders, type ModelSettings, type ProviderSettings, providerSettings, splitModelId } from "./model-settings.ts";
import { OpenAIProvider } from "./openai-provider.ts";
import { type Provider, ProviderError } from "./provider.ts";

export type ScriptedSettings = Extract<ProviderSettings, { api: "scripted" }>;

/** Makes the provider of a `scripted` entry; passed in, so this module needs no fixture reader. */
export type ScriptedFactory = (name: string, settings: ScriptedSettings) => Provider;

/** A route's model id resolved: the provider to call, and the provider's own name for the model. */
export interface ResolvedModel {
  readonly provider: Provider;
  readonly model: string;
}

/** What a route needs of a project's providers (tests may pass their own). */
export interface ModelResolver {
  /** Throws a `ProviderError` `not_configured` for an id that is not `provider:model` or names no provider. */
  resolve(modelId: string): ResolvedModel;
}

/**
 * The providers of a project: the built-in `anthropic` and `openai`, and
 * those of flow.config.json's `models.providers`, which replace a built-in
 * of the same name. Each is made the first time a route names it, so an
 * entry no route uses costs nothing (a scripted one's fixture is not read).
 */
export class ProviderSet implements ModelResolver {
  private readonly made = new Map<string, Provider>();

  constructor(
    private readonly settings: ModelSettings,
    private readonly scripted: ScriptedFactory,
  ) {}

  resolve(modelId: string): ResolvedModel {
    const id = splitModelId(modelId);
    if (id === null) {
      throw new ProviderError(
        "not_configured",
        `\`${modelId}\` is not a model id: write it \`provider:model\`, as in \`anthropic:claude-sonnet-4-5\``,
      );
    }
    return { provider: this.provider(id.provider, modelId), model: id.model };
  }

  private provider(name: string, modelId: string): Provider {
    const made = this.made.get(name);
    if (made !== undefined) return made;
    const settings = providerSettings(this.settings, name);
    if (settings === undefined) {
      throw new ProviderError(
        "not_configured",
        `no provider \`${name}\` for the model \`${modelId}\`: add it to \`models.providers\` in flow.config.json (the built-in ones are ${Object.keys(builtInProviders).join(" and ")})`,
      );
    }
    const provider = this.make(name, settings);
    this.made.set(name, provider);
    return provider;
  }

  private make(name: string, settings: ProviderSettings): Provider {
    switch (settings.api) {
      case "anthropic":
        return new AnthropicProvider(name, {
          baseUrl: settings.baseUrl,
          apiKeyEnv: settings.apiKeyEnv,
          timeoutMs: this.timeoutMs(settings),
        });
      case "openai":
        return new OpenAIProvider(name, {
          baseUrl: settings.baseUrl,
          apiKeyEnv: settings.apiKeyEnv,
          timeoutMs: this.timeoutMs(settings),
          maxTokensField: settings.maxTokensField,
        });
      case "scripted":
        return this.scripted(name, settings);
    }
  }

  private timeoutMs(settings: { readonly timeoutMs?: number | undefined }): number {
    return settings.timeoutMs ?? this.settings.timeoutMs;
  }
}
