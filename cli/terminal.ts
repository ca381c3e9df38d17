import type { WriteStream } from "node:tty";

/** Colour only on a terminal, never with NO_COLOR (https://no-color.org); FORCE_COLOR forces it. */
export function useColor(stream: NodeJS.WriteStream | WriteStream): boolean {
  const env = process.env;
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  if (env["FORCE_COLOR"] !== undefined && env["FORCE_COLOR"] !== "0") return true;
  return stream.isTTY === true && env["TERM"] !== "dumb";
}
