import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where the microVM driver keeps what it builds and reuses between runs:
 * the guest image (`image/`), the booted templates clones are restored from
 * (`templates/`), and which accelerator works here (`accelerator.json`).
 * `FLOW_CACHE_DIR` is flow's cache as a whole, of which this is `microvm/`;
 * without it, the XDG cache directory.
 */
export function microvmCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const flowCache = env["FLOW_CACHE_DIR"];
  if (flowCache !== undefined && flowCache !== "") return join(flowCache, "microvm");
  const xdg = env["XDG_CACHE_HOME"];
  return join(xdg !== undefined && xdg !== "" ? xdg : join(homedir(), ".cache"), "flow", "microvm");
}
