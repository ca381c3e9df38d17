import { useColor } from "./terminal.ts";

/** Where a command writes. Tests pass their own; the binary passes the process's streams. */
export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly colorOut: boolean;
  readonly colorErr: boolean;
}

export function processIo(): CommandIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    colorOut: useColor(process.stdout),
    colorErr: useColor(process.stderr),
  };
}
