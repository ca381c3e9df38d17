import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";

/**
 * The bearer tokens `flow serve` accepts, each for a named holder: whoever
 * presents it decides, signals, pauses as that holder. Only the tokens'
 * sha256 is kept (in `.flow/serve/tokens.json`, readable by its owner
 * only), so a token is shown once, when it is made, and a copy of the file
 * grants nothing.
 */

const TokenFile = z.strictObject({
  tokens: z.array(z.strictObject({ holder: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/), createdAt: z.string() })),
});
type TokenFile = z.infer<typeof TokenFile>;

export function tokensFile(projectDir = process.cwd()): string {
  return resolve(projectDir, ".flow", "serve", "tokens.json");
}

export class ServeTokens {
  /** The file's modification time and size when it was last read: a token added (`--add-token`) or removed while the server runs counts at once. */
  private seen: string;

  private constructor(
    readonly file: string,
    private entries: TokenFile["tokens"],
  ) {
    this.seen = stamp(file);
  }

  /** The project's tokens; an empty set when none was ever made. */
  static read(file = tokensFile()): ServeTokens {
    return new ServeTokens(file, readEntries(file));
  }

  get size(): number {
    return this.entries.length;
  }

  /** Makes a token for `holder`, keeps its hash, and returns the token itself: the only time it is seen. */
  add(holder: string, createdAt: string): string {
    const token = `flow_${randomBytes(32).toString("base64url")}`;
    // Read again first: another process may have added one since.
    this.entries = [...readEntries(this.file)];
    this.entries.push({ holder, sha256: digest(token), createdAt });
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    writeFileSync(this.file, `${JSON.stringify({ tokens: this.entries }, null, 2)}\n`, { mode: 0o600 });
    this.seen = stamp(this.file);
    return token;
  }

  /**
   * The holder of a presented token, or null. Every stored hash is
   * compared, in constant time, whatever matches first: how long the
   * answer takes says nothing of the token.
   */
  holderOf(token: string): string | null {
    const now = stamp(this.file);
    if (now !== this.seen) {
      this.entries = readEntries(this.file);
      this.seen = now;
    }
    const presented = Buffer.from(digest(token), "hex");
    let holder: string | null = null;
    for (const entry of this.entries) {
      if (timingSafeEqual(presented, Buffer.from(entry.sha256, "hex")) && holder === null) holder = entry.holder;
    }
    return holder;
  }
}

function readEntries(file: string): TokenFile["tokens"] {
  if (!existsSync(file)) return [];
  let parsed: ReturnType<typeof TokenFile.safeParse>;
  try {
    parsed = TokenFile.safeParse(JSON.parse(readFileSync(file, "utf8")));
  } catch (error) {
    throw new Error(`${file} is not JSON: ${(error as Error).message}; remove it to make a new token`);
  }
  if (!parsed.success) throw new Error(`${file} is not a token file flow wrote: ${parsed.error.issues[0]?.message ?? "unreadable"}; remove it to make a new token`);
  return parsed.data.tokens;
}

function stamp(file: string): string {
  try {
    const stats = statSync(file);
    return `${stats.mtimeMs}:${stats.size}`;
  } catch {
    return "absent";
  }
}

function digest(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
