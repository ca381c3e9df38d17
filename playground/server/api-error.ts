import { UsageError } from "../../cli/exit-codes.ts";
import { UntrustedSigner } from "../../cli/gate-answer.ts";
import { NotWaiting } from "../../cli/parked-instance.ts";
import { InvalidSignalValue } from "../../cli/signal-answer.ts";
import { RunHeld, StaleAnswer } from "../../interpreter/host/run-driver.ts";

/**
 * An answer of the API that is not a success: its HTTP status and the body
 * every error has, `{ "error": { "code", "message", "hint" } }`. The
 * message is for people, the code for programs (the front-end branches on
 * it); neither ever carries a stack.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint: string | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }

  body(): { readonly error: { readonly code: string; readonly message: string; readonly hint: string | null } } {
    return { error: { code: this.code, message: this.message, hint: this.hint } };
  }
}

/**
 * What an error thrown by the commands' shared code means to a client. The
 * command line prints them all as usage errors (exit 2); over HTTP they
 * differ: a conflict with where the run stands is 409, an untrusted key
 * 403. Anything unexpected is a 500 whose message says nothing of the
 * code (the server logs it).
 */
export function apiErrorOf(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof NotWaiting) return new ApiError(409, "not_waiting", error.message, error.hint ?? null);
  if (error instanceof StaleAnswer) return new ApiError(409, "stale_head", error.message, "the run moved on; look at it again and decide again");
  if (error instanceof RunHeld) return new ApiError(409, "run_held", error.message, "it is being driven now; answer it once it parks");
  if (error instanceof UntrustedSigner) return new ApiError(403, "untrusted_key", error.message, error.hint ?? null);
  if (error instanceof InvalidSignalValue) return new ApiError(400, "invalid_signal_value", error.message, error.hint ?? null);
  if (error instanceof UsageError) return new ApiError(400, "bad_request", error.message, error.hint ?? null);
  return new ApiError(500, "internal", "internal error: the server could not answer this request", "the server's log says what went wrong; this is a bug in flow");
}
