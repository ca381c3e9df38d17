import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { publicKeyText } from "../interpreter/gates/decision.ts";
import { UsageError } from "./exit-codes.ts";

/**
 * The runner's key: the project's own Ed25519 key, which signs the
 * receipts of its runs (`flow receipt`). It is the project's, not a
 * person's (approvers' keys are theirs, approver-keys.ts), so it lives
 * with the project's runs, in `.flow/keys/runner.pem` (PKCS#8 PEM,
 * readable by its owner only), and is made the first time a receipt is
 * signed. Whoever checks receipts learns its public half from the
 * receipts themselves, or better, from `flow receipt --verify` on a
 * machine they trust.
 */

export const runnerName = "runner";

export interface RunnerKey {
  readonly name: string;
  readonly privateKey: KeyObject;
  /** The public key as text (base64url of its 32 bytes), as receipts name it. */
  readonly key: string;
  readonly file: string;
}

export function runnerKeyFile(projectDir = process.cwd()): string {
  return resolve(projectDir, ".flow", "keys", "runner.pem");
}

/** The runner's key, made now if the project has none. */
export function runnerKey(projectDir = process.cwd()): RunnerKey {
  const file = runnerKeyFile(projectDir);
  let pem: string;
  try {
    pem = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new UsageError(`cannot read the runner's key ${file}: ${(error as Error).message}`);
    pem = create(file);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (error) {
    throw new UsageError(`${file} is not a private key flow can read: ${(error as Error).message}`, { hint: "remove it and a new one is made (receipts it signed then name a key the project no longer has)" });
  }
  if (privateKey.asymmetricKeyType !== "ed25519") throw new UsageError(`${file} is a ${privateKey.asymmetricKeyType} key; receipts are signed with Ed25519`);
  return { name: runnerName, privateKey, key: publicKeyText(privateKey), file };
}

/**
 * Makes the key file whole or not at all: written under a name of its own,
 * then linked into place, which fails if another process got there first
 * (two `flow receipt`s at once): then theirs is the key, and is read back.
 */
function create(file: string): string {
  const dir = join(file, "..");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pem = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  const temporary = join(dir, `.runner-${process.pid}-${Date.now()}.pem`);
  try {
    writeFileSync(temporary, pem, { mode: 0o600, flag: "wx" });
    try {
      linkSync(temporary, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      return readFileSync(file, "utf8");
    }
    return pem;
  } catch (error) {
    throw new UsageError(`cannot make the runner's key ${file}: ${(error as Error).message}`);
  } finally {
    rmSync(temporary, { force: true });
  }
}
