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
  if (options.trust) return keysTrust({ name: key.name, key: key.key, groups: [] }, io);
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

/** `flow keys trust NAME KEY [--group G …]`: adds an approver to the project's configuration, or groups to one it has. */
export function keysTrust(options: { readonly name: string; readonly key: string; readonly groups: readonly string[] }, io: CommandIo): number {
  if (publicKeyOf(options.key) === null) {
    throw new UsageError(`\`${options.key}\` is not an Ed25519 public key`, { hint: "the 44 characters `flow keys init` or `flow keys list` prints" });
  }
  const config = readProjectConfig();
  const known = config.approvers.find((a) => a.key === options.key);
  const added = options.groups.filter((g) => !(known?.groups ?? []).includes(g));
  if (known !== undefined && added.length === 0) {
    io.err(`${configFile} already trusts ${keyFingerprint(options.key)}… (as ${known.name}${groupsText(known.groups)})\n`);
    return exitCodes.ok;
  }
  const groups = [...(known?.groups ?? []), ...new Set(added)];
  const approver = { name: known?.name ?? options.name, key: options.key, ...(groups.length === 0 ? {} : { groups }) };
  const approvers = known === undefined ? [...config.approvers, approver] : config.approvers.map((a) => (a === known ? approver : a));
  const file = writeProjectConfig({ ...config, approvers });
  io.err(`${file}: ${approver.name} (${keyFingerprint(options.key)}…) may now decide at this project's gates${groupsText(approver.groups)}\n`);
  return exitCodes.ok;
}

function groupsText(groups: readonly string[] | undefined): string {
  return groups === undefined || groups.length === 0 ? "" : `, in ${groups.map((g) => `"${g}"`).join(", ")}`;
}
