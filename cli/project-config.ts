import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { publicKeyPattern } from "../interpreter/gates/decision.ts";
import { ModelSettings } from "../interpreter/models/model-settings.ts";
import { SandboxSettings } from "../interpreter/sandbox/profile.ts";
import { UsageError } from "./exit-codes.ts";
import { readJsonFile } from "./json-file.ts";

/**
 * The project's configuration, `flow.config.json` in the directory flow
 * runs from, committed with the workflows it governs: who may decide at
 * its gates (their public keys), where parked runs are announced, and the
 * sandboxes its nodes run in.
 */
export const ProjectConfig = z.strictObject({
  /** The people whose signed decisions the project's gates accept. */
  approvers: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        /** An Ed25519 public key: its 32 bytes in base64 (`flow keys list` prints it). */
        key: z.string().regex(publicKeyPattern, "an Ed25519 public key, 44 characters of base64"),
        /** The groups the approver is in: a gate written `approve "…" by "platform"` takes only decisions of "platform"'s. */
        groups: z.array(z.string().min(1)).optional(),
      }),
    )
    .default([]),
  /**
   * Where a parked run is announced (a Slack-compatible incoming webhook).
   * `url` may name an environment variable instead (`$FLOW_WEBHOOK_URL`),
   * keeping the secret out of the repository.
   */
  webhook: z
    .strictObject({
      url: z.string().min(1),
      attempts: z.int().min(1).max(20).default(5),
      backoffMs: z.int().nonnegative().default(1_000),
      timeoutMs: z.int().positive().default(10_000),
    })
    .transform((webhook, context) => {
      if (!webhook.url.startsWith("$")) return webhook;
      const url = process.env[webhook.url.slice(1)];
      if (url === undefined || url === "") {
        context.addIssue({ code: "custom", message: `the environment has no ${webhook.url.slice(1)}`, path: ["url"] });
        return z.NEVER;
      }
      return { ...webhook, url };
    })
    .optional(),
  /** How often a driven run's receipt is issued besides when it parks, stops or ends. */
  receipts: z.strictObject({ everyMs: z.int().positive() }).optional(),
  /** Sandbox profiles by name, and the one nodes without a `sandbox "NAME"` clause get (interpreter/sandbox/profile.ts). */
  sandbox: SandboxSettings.optional(),
  /** Model providers by name and how routes call them (interpreter/models/model-settings.ts). */
  models: ModelSettings.optional(),
});
export type ProjectConfig = z.infer<typeof ProjectConfig>;

export const configFile = "flow.config.json";

export function readProjectConfig(dir = process.cwd()): ProjectConfig {
  const file = join(dir, configFile);
  if (!existsSync(file)) return { approvers: [] };
  const value = readJsonFile(file, `fix ${file}`);
  const parsed = ProjectConfig.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`${configFile}: ${issue?.path.join(".") || "(top)"}: ${issue?.message ?? "invalid"}`, { hint: `fix ${file}` });
  }
  return parsed.data;
}

export function writeProjectConfig(config: ProjectConfig, dir = process.cwd()): string {
  const file = join(dir, configFile);
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}
