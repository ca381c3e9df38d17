import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { SourceFile } from "../language/source-file.ts";
import { UsageError } from "./exit-codes.ts";

/**
 * The `.flow` files named on the command line: files as given, directories
 * searched for `*.flow` (sorted, so output order never depends on the file
 * system). Paths are shown relative to the working directory.
 */
export function expandPaths(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new UsageError(`cannot read \`${path}\`: no such file or directory`);
    }
    if (stat.isDirectory()) {
      const found = findFlowFiles(path);
      if (found.length === 0) throw new UsageError(`no .flow files in \`${path}\``);
      files.push(...found);
    } else {
      files.push(path);
    }
  }
  return [...new Set(files)];
}

function findFlowFiles(dir: string): string[] {
  const found: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findFlowFiles(path));
    else if (entry.name.endsWith(".flow")) found.push(path);
  }
  return found;
}

export function readSource(path: string): SourceFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read \`${path}\`: ${whyUnreadable(error)}`);
  }
  const shown = relative(process.cwd(), path) || path;
  return new SourceFile(shown.startsWith("..") ? path : shown, text);
}

/** Why a file named on the command line could not be read, in words rather than an errno. */
export function whyUnreadable(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case "ENOENT":
      return "no such file or directory";
    case "EISDIR":
      return "it is a directory";
    case "EACCES":
      return "permission denied";
    default:
      return "it cannot be read";
  }
}

/** Why a file named on the command line could not be written, in words rather than an errno. */
export function whyUnwritable(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case "ENOENT":
      return "its directory does not exist";
    case "ENOTDIR":
    case "EEXIST": // from making its directories: a file is where one would be
      return "a part of its path is not a directory";
    case "EISDIR":
      return "it is a directory";
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return "permission denied";
    default:
      return "it cannot be written";
  }
}
