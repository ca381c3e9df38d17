import type { Isolation } from "../interpreter/sandbox/profile.ts";

/** How much a run's sandboxes isolated it, in words: what `flow run` says before it starts and a receipt says after. */
export function isolationText(isolation: Isolation): string {
  switch (isolation) {
    case "none":
      return "none: commands run unconfined, as this user; effects are checked, not enforced";
    case "namespaces":
      return "Linux namespaces: effects enforced, limits from cgroups";
    case "vm":
      return "a virtual machine per node: effects enforced, a kernel of its own";
  }
}
