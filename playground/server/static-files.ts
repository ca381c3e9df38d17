import { createReadStream, existsSync, statSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { ApiError } from "./api-error.ts";

const types: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".map": "application/json",
  ".wasm": "application/wasm",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * The web app's built assets (`npm run build` puts them in
 * `dist/playground/`): a file under the directory by its path, and
 * `index.html` for any other path without an extension, so the app's own
 * routes (`/runs/ID`) load it. Nothing outside the directory is served.
 */
export function serveStatic(root: string, pathname: string, response: ServerResponse): void {
  if (!existsSync(join(root, "index.html"))) {
    throw new ApiError(404, "no_web_app", `the web app is not built: there is no ${join(root, "index.html")}`, "run `npm run build`, or give `flow serve --static DIR`; the API is under /api/");
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    throw new ApiError(400, "bad_path", "the path is not valid percent-encoding");
  }
  const file = normalize(join(root, decoded));
  if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) throw new ApiError(404, "not_found", `no file ${pathname}`);
  const found = existsSync(file) && statSync(file).isFile() ? file : extname(decoded) === "" ? join(root, "index.html") : null;
  if (found === null) throw new ApiError(404, "not_found", `no file ${pathname}`);
  response.writeHead(200, { "content-type": types[extname(found)] ?? "application/octet-stream", "cache-control": found.endsWith("index.html") ? "no-cache" : "public, max-age=3600" });
  createReadStream(found).pipe(response);
}
