import { useColor } from "./terminal.ts";

/** Where a command writes. Tests pass their own; the binary passes the process's streams. */
export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly colorOut: boolean;
  readonly colorErr: boolean;
  /** Whether whoever reads the output has gone (`flow logs RUN --follow | head`): a command that would write on forever ends. */
  readonly closed?: () => boolean;
}

/**
 * The process's streams. A reader that has seen enough closes its pipe: what
 * is written after that is dropped, and the command ends as it would have,
 * with its own exit code (a failed check piped into `head` still fails).
 */
export function processIo(): CommandIo {
  const gone = new Set<NodeJS.WriteStream>();
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
      gone.add(stream);
    });
  }
  const write = (stream: NodeJS.WriteStream, text: string) => {
    if (!gone.has(stream)) stream.write(text);
  };
  return {
    out: (text) => write(process.stdout, text),
    err: (text) => write(process.stderr, text),
    colorOut: useColor(process.stdout),
    colorErr: useColor(process.stderr),
    closed: () => gone.has(process.stdout),
  };
}
