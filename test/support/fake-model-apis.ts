import { afterAll, afterEach, beforeAll } from "vitest";
import { startFakeAnthropic } from "./fake-anthropic-server.ts";
import type { FakeModelServer } from "./fake-model-server.ts";
import { startFakeOpenAI } from "./fake-openai-server.ts";

/**
 * Both fake model APIs for the tests of one file: started before them,
 * reset after each, closed after all. Each API's key is in an environment
 * variable of the file's own (never a developer's real key), set again
 * after each test (a test may unset it) and removed at the end.
 */
export class FakeModelApis {
  /** Set once the servers have started (in beforeAll). */
  anthropic!: FakeModelServer;
  openAI!: FakeModelServer;

  readonly anthropicKeyEnv: string;
  readonly openAIKeyEnv: string;
  readonly anthropicKey: string;
  readonly openAIKey: string;

  constructor(name: string) {
    this.anthropicKeyEnv = `FLOW_TEST_${name.toUpperCase()}_ANTHROPIC_KEY`;
    this.openAIKeyEnv = `FLOW_TEST_${name.toUpperCase()}_OPENAI_KEY`;
    this.anthropicKey = `sk-ant-test-${name}-3f9a1c7e5b2d4068`;
    this.openAIKey = `sk-proj-test-${name}-8e1d2c3b4a596870`;
  }

  /** `models.providers` of a flow.config.json whose `anthropic` and `openai` are the fakes. */
  providers(): Record<string, unknown> {
    return {
      anthropic: { api: "anthropic", baseUrl: this.anthropic.url, apiKeyEnv: this.anthropicKeyEnv },
      openai: { api: "openai", baseUrl: this.openAI.url, apiKeyEnv: this.openAIKeyEnv },
    };
  }

  setKeys(): void {
    process.env[this.anthropicKeyEnv] = this.anthropicKey;
    process.env[this.openAIKeyEnv] = this.openAIKey;
  }
}

/** Registers the hooks that run the fake APIs around a file's tests; `name` keeps its key variables apart from other files'. */
export function useFakeModelApis(name: string): FakeModelApis {
  const apis = new FakeModelApis(name);
  beforeAll(async () => {
    [apis.anthropic, apis.openAI] = await Promise.all([startFakeAnthropic(), startFakeOpenAI()]);
    apis.setKeys();
  });
  afterEach(() => {
    apis.anthropic.reset();
    apis.openAI.reset();
    apis.setKeys();
  });
  afterAll(async () => {
    delete process.env[apis.anthropicKeyEnv];
    delete process.env[apis.openAIKeyEnv];
    await Promise.all([apis.anthropic.close(), apis.openAI.close()]);
  });
  return apis;
}
