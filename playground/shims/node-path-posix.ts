/**
 * `node:path/posix` for the browser build: the four functions the compiler
 * calls (modules.ts resolves imports, lower/paths.ts names files in the IR),
 * with Node's results. The playground's files all live under one relative
 * root, so `relative` resolves both paths against the same directory, which
 * cancels out as Node's resolution against the working directory does.
 * test/playground-shims.test.ts holds these to Node's own.
 */

/** `a/./b/../c` → `a/c`; `..` above a relative root is kept, above `/` dropped. */
export function normalize(path: string): string {
  if (path === "") return ".";
  const absolute = path.startsWith("/");
  const trailing = path.endsWith("/");
  const out: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
      continue;
    }
    out.push(segment);
  }
  let text = out.join("/");
  if (text === "") return absolute ? "/" : trailing ? "./" : ".";
  if (trailing) text += "/";
  return absolute ? `/${text}` : text;
}

export function join(...paths: readonly string[]): string {
  const joined = paths.filter((p) => p !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

/** Node's algorithm: the text before the last slash that follows a non-slash, trailing slashes aside. */
export function dirname(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  let end = -1;
  let trailing = true;
  for (let i = path.length - 1; i >= 1; i--) {
    if (path[i] !== "/") trailing = false;
    else if (!trailing) {
      end = i;
      break;
    }
  }
  if (end === -1) return rooted ? "/" : ".";
  if (rooted && end === 1) return "//";
  return path.slice(0, end);
}

export function relative(from: string, to: string): string {
  const segments = (p: string) => normalize(`/${p}`).split("/").filter((s) => s !== "");
  const a = segments(from);
  const b = segments(to);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return [...a.slice(common).map(() => ".."), ...b.slice(common)].join("/");
}

export default { normalize, join, dirname, relative };
