import type { KeyObject } from "node:crypto";
import { loadKey } from "../../cli/approver-keys.ts";
import { runnerKey } from "../../cli/runner-key.ts";

/**
 * The key the server signs decisions with: one of the keys of whoever
 * runs it (`--key NAME`, as `flow approve --key`), else the project's
 * runner key (`.flow/keys/runner.pem`). Either way the project must trust
 * it (`flow keys trust NAME KEY`) for a gate to take its decisions.
 */
export interface ServerSigner {
  readonly name: string;
  readonly privateKey: KeyObject;
  /** The public key as text, as `flow keys trust` takes it. */
  readonly key: string;
  readonly source: "runner" | "approver";
}

export function serverSigner(keyName: string | undefined): ServerSigner {
  if (keyName !== undefined) {
    const key = loadKey(keyName);
    return { name: key.name, privateKey: key.privateKey, key: key.key, source: "approver" };
  }
  const runner = runnerKey();
  return { name: runner.name, privateKey: runner.privateKey, key: runner.key, source: "runner" };
}
