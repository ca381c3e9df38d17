import { keyFingerprint, publicKeyOf } from "../../interpreter/gates/decision.ts";
import { createKey, defaultKeyName, keysDir, listKeys } from "../approver-keys.ts";
import { exitCodes, UsageError } from "../exit-codes.ts";
import type { CommandIo } from "../io.ts";
import { configFile, readProjectConfig, writeProjectConfig } from "../project-config.ts";

/** `flow keys init [--name N] [--trust]`: makes your Ed25519 key for signing decisions at gates. */
export function keysInit(options: { readonly name: string | undefined; readonly trust: boolean }, io: CommandIo): number {
  const key = createKey(options.name ?? defaultKeyName());
  io.out(`${key.name} ${key.key}\n`);
  io.err(`made key ${key.name} (${key.file}); its public half is above\n`);
  if (options.trust) return keysTrust({ name: key.name, key: key.key }, io);
  io.err(`a project accepts your decisions once its ${configFile} lists it: \`flow keys trust ${key.name} ${key.key}\` there\n`);
  return exitCodes.ok;
}

/** `flow keys list`: your keys, and the approvers this project trusts. */
export function keysList(options: { readonly json: boolean }, io: CommandIo): number {
  const mine = listKeys().map((k) => ({ name: k.name, key: k.key, file: k.file }));
  const trusted = readProjectConfig().approvers;
  if (options.json) {
    io.out(`${JSON.stringify({ keys: mine, approvers: trusted }, null, 2)}\n`);
    return exitCodes.ok;
  }
  io.out(`your keys (${keysDir()}):\n`);
  if (mine.length === 0) io.out("  none: `flow keys init` makes one\n");
  for (const k of mine) io.out(`  ${k.name}  ${k.key}${trusted.some((t) => t.key === k.key) ? "  (trusted here)" : ""}\n`);
  io.out(`approvers this project trusts (${configFile}):\n`);
  if (trusted.length === 0) io.out("  none: `flow keys trust NAME KEY` adds one\n");
  for (const t of trusted) io.out(`  ${t.name}  ${t.key}\n`);
  return exitCodes.ok;
}

/** `flow keys trust NAME KEY`: adds an approver to the project's configuration. */
export function keysTrust(options: { readonly name: string; readonly key: string }, io: CommandIo): number {
  if (publicKeyOf(options.key) === null) {
    throw new UsageError(`\`${options.key}\` is not an Ed25519 public key`, { hint: "the 44 characters `flow keys init` or `flow keys list` prints" });
  }
  const config = readProjectConfig();
  if (config.approvers.some((a) => a.key === options.key)) {
    io.err(`${configFile} already trusts ${keyFingerprint(options.key)}…\n`);
    return exitCodes.ok;
  }
  const file = writeProjectConfig({ ...config, approvers: [...config.approvers, { name: options.name, key: options.key }] });
  io.err(`${file}: ${options.name} (${keyFingerprint(options.key)}…) may now decide at this project's gates\n`);
  return exitCodes.ok;
}
