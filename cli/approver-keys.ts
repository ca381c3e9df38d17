import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import { publicKeyText } from "../interpreter/gates/decision.ts";
import { UsageError } from "./exit-codes.ts";

/**
 * The approver's own Ed25519 keys, one PKCS#8 PEM file each (readable by
 * its owner only) in `$FLOW_KEYS_DIR`, else `$XDG_CONFIG_HOME/flow/keys`,
 * else `~/.config/flow/keys`: a person's, not a project's, so they never
 * land in a repository.
 */
export function keysDir(): string {
  const explicit = process.env["FLOW_KEYS_DIR"];
  if (explicit !== undefined && explicit !== "") return explicit;
  const config = process.env["XDG_CONFIG_HOME"];
  return join(config !== undefined && config !== "" ? config : join(homedir(), ".config"), "flow", "keys");
}

export interface ApproverKey {
  readonly name: string;
  readonly privateKey: KeyObject;
  /** The public key as text (base64 of its 32 bytes). */
  readonly key: string;
  readonly file: string;
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The default name of a new key: the user's login name. */
export function defaultKeyName(): string {
  const name = userInfo().username;
  return namePattern.test(name) ? name : "me";
}

export function createKey(name: string): ApproverKey {
  if (!namePattern.test(name)) throw new UsageError(`\`${name}\` cannot name a key`, { hint: "letters, digits, `.`, `_` and `-`, starting with a letter or digit" });
  const dir = keysDir();
  const file = join(dir, `${name}.pem`);
  if (existsSync(file)) {
    // Trusting the key one has in a new project is what a second `flow keys init --trust` is usually after.
    const existing = loadFile(name, file);
    throw new UsageError(`a key named \`${name}\` already exists (${file})`, { hint: `\`flow keys trust ${name} ${existing.key}\` trusts it in this project; \`--name\` makes another` });
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync("ed25519");
  writeFileSync(file, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600, flag: "wx" });
  return { name, privateKey, key: publicKeyText(privateKey), file };
}

export function listKeys(): ApproverKey[] {
  const dir = keysDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".pem"))
    .sort()
    .map((f) => loadFile(f.slice(0, -".pem".length), join(dir, f)));
}

/** The key to sign with: the one named, or the only one there is. */
export function loadKey(name: string | undefined): ApproverKey {
  const keys = listKeys();
  if (name !== undefined) {
    const key = keys.find((k) => k.name === name);
    if (key === undefined) throw new UsageError(`no key named \`${name}\` in ${keysDir()}`, { hint: keys.length > 0 ? `there is ${keys.map((k) => k.name).join(", ")}` : "`flow keys init` makes one" });
    return key;
  }
  if (keys.length === 1) return keys[0] as ApproverKey;
  if (keys.length === 0) throw new UsageError(`you have no key to sign with (in ${keysDir()})`, { hint: "`flow keys init` makes one" });
  throw new UsageError(`you have ${keys.length} keys: ${keys.map((k) => k.name).join(", ")}`, { hint: "`--key NAME` says which signs" });
}

function loadFile(name: string, file: string): ApproverKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`${file} is not a private key flow can read: ${(error as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== "ed25519") throw new UsageError(`${file} is a ${privateKey.asymmetricKeyType} key; approvals are signed with Ed25519`);
  return { name, privateKey, key: publicKeyText(privateKey), file };
}
