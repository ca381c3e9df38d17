/**
 * Where a text stops being JSON (RFC 8259), for `parse`'s failure message.
 * JSON.parse knows, but says it in words that change between V8 versions,
 * and a pure function's failure is replayed and compared byte for byte: so
 * the position and the wording come from this scanner, the same on every
 * machine. Iterative, so nesting depth cannot overflow the stack.
 */

export interface JsonSyntaxError {
  /** In UTF-16 code units from the start. */
  readonly offset: number;
  /** 1-based; the column counts code points. */
  readonly line: number;
  readonly column: number;
  readonly expected: string;
  /** What stands there instead: a character, or the end of the text. */
  readonly found: string;
}

/** The first syntax error of `text`, or undefined when it is JSON. */
export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const scanner = new Scanner(text);
  const offset = scanner.scan();
  return offset === undefined ? undefined : describe(text, offset, scanner.expected);
}

export function showJsonSyntaxError(error: JsonSyntaxError): string {
  return `at line ${error.line}, column ${error.column}: expected ${error.expected}, found ${error.found}`;
}

const literals = ["true", "false", "null"];
const escapes = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);

class Scanner {
  private at = 0;
  expected = "";

  constructor(private readonly text: string) {}

  /** The offset of the first error, or undefined. */
  scan(): number | undefined {
    const open: ("[" | "{")[] = [];
    this.space();
    for (;;) {
      // A value starts here.
      const c = this.text[this.at];
      if (c === "[" || c === "{") {
        this.at++;
        this.space();
        const close = c === "[" ? "]" : "}";
        if (this.text[this.at] !== close) {
          open.push(c);
          if (c === "{" && !this.member()) return this.at;
          continue;
        }
        this.at++;
      } else if (!this.scalar()) return this.at;

      // After a value: a comma, a close, or the end.
      for (;;) {
        this.space();
        const container = open.at(-1);
        if (container === undefined) {
          if (this.at === this.text.length) return undefined;
          this.fail("the end of the text");
          return this.at;
        }
        const close = container === "[" ? "]" : "}";
        const next = this.text[this.at];
        if (next === close) {
          open.pop();
          this.at++;
          continue;
        }
        if (next !== ",") {
          this.fail(`\`,\` or \`${close}\``);
          return this.at;
        }
        this.at++;
        this.space();
        if (container === "{" && !this.member()) return this.at;
        break;
      }
    }
  }

  /** A key and its colon; the value follows. */
  private member(): boolean {
    if (this.text[this.at] !== '"') return this.fail("a string (a key)");
    if (!this.string()) return false;
    this.space();
    if (this.text[this.at] !== ":") return this.fail("`:`");
    this.at++;
    this.space();
    return true;
  }

  private scalar(): boolean {
    const c = this.text[this.at];
    if (c === '"') return this.string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number();
    const literal = literals.find((l) => this.text.startsWith(l, this.at));
    if (literal === undefined) return this.fail("a value");
    this.at += literal.length;
    return true;
  }

  private string(): boolean {
    this.at++;
    for (;;) {
      if (this.at >= this.text.length) return this.fail('`"` to close the string');
      const c = this.text.charCodeAt(this.at);
      if (c === 0x22) {
        this.at++;
        return true;
      }
      if (c < 0x20) return this.fail("a character that is not a control character (escape it)");
      if (c === 0x5c) {
        this.at++;
        const e = this.text[this.at];
        if (e === "u") {
          for (let k = 1; k <= 4; k++) {
            this.at++;
            if (!/[0-9A-Fa-f]/.test(this.text[this.at] ?? "")) return this.fail("a hexadecimal digit");
          }
        } else if (e === undefined || !escapes.has(e)) return this.fail("an escape: one of `\"`, `\\`, `/`, `b`, `f`, `n`, `r`, `t`, `u`");
      }
      this.at++;
    }
  }

  private number(): boolean {
    if (this.text[this.at] === "-") this.at++;
    if (this.text[this.at] === "0") this.at++;
    else if (!this.digits()) return false;
    if (this.text[this.at] === ".") {
      this.at++;
      if (!this.digits()) return false;
    }
    if (this.text[this.at] === "e" || this.text[this.at] === "E") {
      this.at++;
      if (this.text[this.at] === "+" || this.text[this.at] === "-") this.at++;
      if (!this.digits()) return false;
    }
    return true;
  }

  private digits(): boolean {
    const start = this.at;
    while (this.at < this.text.length && this.text[this.at]! >= "0" && this.text[this.at]! <= "9") this.at++;
    return this.at > start || this.fail("a digit");
  }

  private space(): void {
    while (this.at < this.text.length && " \t\n\r".includes(this.text[this.at]!)) this.at++;
  }

  /** Records what was expected where the scan stands; false, for `return this.fail(…)` in the checks above. */
  private fail(expected: string): false {
    this.expected = expected;
    return false;
  }
}

function describe(text: string, offset: number, expected: string): JsonSyntaxError {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const line = text.slice(0, lineStart).split("\n").length;
  const column = [...text.slice(lineStart, offset)].length + 1;
  const char = text.codePointAt(offset);
  const found = char === undefined ? "the end of the text" : showChar(char);
  return { offset, line, column, expected, found };
}

function showChar(char: number): string {
  if (char < 0x20 || char === 0x7f) return `the control character U+${char.toString(16).toUpperCase().padStart(4, "0")}`;
  return `\`${String.fromCodePoint(char)}\``;
}
