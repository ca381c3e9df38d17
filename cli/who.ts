import { hostname, userInfo } from "node:os";

/** Who is at the keyboard, as the ledger names the people who answer, pause, cancel or fund a run: `user@host`. */
export function who(): string {
  return `${userInfo().username}@${hostname()}`;
}
