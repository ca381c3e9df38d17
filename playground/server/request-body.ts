import type { IncomingMessage } from "node:http";
import type { z } from "zod";
import { jsonSyntaxError, showJsonSyntaxError } from "../../stdlib/runtime/json-syntax-error.ts";
import { ApiError } from "./api-error.ts";

/** Larger bodies are refused: no request of this API needs more (a signal's value is the largest). */
const maxBytes = 1 << 20;

/** Reads a request's JSON body (none reads as `{}`) and checks it against `schema`: 400 with what is wrong otherwise. */
export async function readBody<T>(request: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new ApiError(413, "body_too_large", `the request's body is over ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  let value: unknown = {};
  if (text.trim() !== "") {
    try {
      value = JSON.parse(text);
    } catch {
      // Where it stops being JSON in std/json parse's words, as the command line says it, not V8's, which quote the text.
      const error = jsonSyntaxError(text);
      throw new ApiError(400, "bad_json", `the request's body is not JSON${error === undefined ? "" : `: ${showJsonSyntaxError(error)}`}`, "send a JSON object, with `Content-Type: application/json`");
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? "the body" : `\`${issue.path.join(".")}\``;
    throw new ApiError(400, "bad_body", `${where}: ${issue?.message ?? "not what this route takes"}`, "README.md, \"flow serve\", lists what each route takes");
  }
  return parsed.data;
}
