import { z } from "zod";

/**
 * How a project reaches its models: `models` in flow.config.json. A route's
 * model id `provider:model` names a provider here (or a built-in one:
 * `anthropic`, `openai`) and the provider's own name for the model. Keys
 * are named, never written: `apiKeyEnv` is the environment variable read at
 * the moment of each call, so a key is in no file, ledger, log or receipt.
 */

const timeoutMs = z.int().positive().optional();

export const ProviderSettings = z.discriminatedUnion("api", [
  /** Anthropic's Messages API (`POST {baseUrl}/v1/messages`). */
  z.strictObject({
    api: z.literal("anthropic"),
    baseUrl: z.url().default("https://api.anthropic.com"),
    apiKeyEnv: z.string().min(1).default("ANTHROPIC_API_KEY"),
    timeoutMs,
  }),
  /** OpenAI-compatible Chat Completions (`POST {baseUrl}/chat/completions`): OpenAI, and local servers that speak it. */
  z.strictObject({
    api: z.literal("openai"),
    baseUrl: z.url().default("https://api.openai.com/v1"),
    /** null for a local server that takes no key. */
    apiKeyEnv: z.string().min(1).nullable().default("OPENAI_API_KEY"),
    timeoutMs,
    /**
     * The request field that caps the answer's tokens. OpenAI refuses the
     * older `max_tokens` for its reasoning models (o-series, gpt-5); some
     * local servers (Ollama) know only `max_tokens` and ignore the other.
     */
    maxTokensField: z.enum(["max_completion_tokens", "max_tokens"]).default("max_completion_tokens"),
  }),
  /** Answers from a fixture file (scripted-provider.ts), relative to the project: offline, deterministic. */
  z.strictObject({ api: z.literal("scripted"), file: z.string().min(1) }),
]);
export type ProviderSettings = z.infer<typeof ProviderSettings>;

export const ModelSettings = z.strictObject({
  /** Providers by name, besides (or replacing) the built-in `anthropic` and `openai`. */
  providers: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, "a provider's name: letters, digits, `_`, `.` and `-`"), ProviderSettings).default({}),
  /** How long one request may take before the route moves on (per provider: `timeoutMs` there). */
  timeoutMs: z.int().positive().default(120_000),
  /** The longest `retry-after` a route waits on before trying a rate-limited model once more; longer, it moves on. */
  maxRetryAfterMs: z.int().nonnegative().default(20_000),
});
export type ModelSettings = z.infer<typeof ModelSettings>;

export const builtInProviders: Readonly<Record<string, ProviderSettings>> = {
  anthropic: { api: "anthropic", baseUrl: "https://api.anthropic.com", apiKeyEnv: "ANTHROPIC_API_KEY" },
  openai: { api: "openai", baseUrl: "https://api.openai.com/v1", apiKeyEnv: "OPENAI_API_KEY", maxTokensField: "max_completion_tokens" },
};

/** The settings of the provider `name`: the project's, else a built-in's; own keys only (a provider called `constructor` must not find Object's). */
export function providerSettings(settings: ModelSettings, name: string): ProviderSettings | undefined {
  if (Object.hasOwn(settings.providers, name)) return settings.providers[name];
  return Object.hasOwn(builtInProviders, name) ? builtInProviders[name] : undefined;
}

/** Splits a route's model id at its first colon: `local:qwen3:8b` is the model `qwen3:8b` of the provider `local`. */
export function splitModelId(id: string): { readonly provider: string; readonly model: string } | null {
  const colon = id.indexOf(":");
  if (colon <= 0 || colon === id.length - 1) return null;
  return { provider: id.slice(0, colon), model: id.slice(colon + 1) };
}
