/**
 * Why a microVM cannot be had (no QEMU, no image and no compiler to build
 * one, a guest that never answered): said in one line with what to do,
 * never as a stack.
 */
export class MicrovmError extends Error {
  constructor(
    message: string,
    /** What to do about it: a package to install, a command to run. */
    readonly hint: string | undefined = undefined,
  ) {
    super(message);
    this.name = "MicrovmError";
  }
}
