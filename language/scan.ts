import {
  idx,
  AND_AND,
  ARROW,
  BANG,
  BANG_EQUAL,
  BLOCK_TEXT,
  COLON,
  COMMA,
  DOLLAR,
  DOT,
  EQUALS,
  EQUAL_EQUAL,
  ESCAPE,
  FAT_ARROW,
  FOREIGN_STRING,
  GREATER,
  GREATER_EQUAL,
  IDENTIFIER,
  INTERPOLATION_START,
  LBRACE,
  LBRACKET,
  LESS,
  LESS_EQUAL,
  LPAREN,
  MINUS,
  MONEY_LITERAL,
  NUMBER_LITERAL,
  OR_OR,
  PIPE,
  PLUS,
  QUESTION,
  QUESTION_QUESTION,
  QUOTE,
  QUOTE_CLOSE,
  RBRACE,
  RBRACKET,
  RPAREN,
  SLASH,
  STAR,
  STRING_NEWLINE,
  STRING_TEXT,
  TRIPLE_QUOTE,
  TRIPLE_QUOTE_CLOSE,
} from "./token-indexes.ts";
import type { IToken, TokenType } from "chevrotain";
import type { Comment } from "./ast.ts";
import * as T from "./tokens.ts";

/**
 * A file's tokens as three parallel arrays (token type index, start and
 * end offset) instead of one object per token: what `parse` works on.
 *
 * The lexer's token objects cost more than their tokenizing: a large file
 * has hundreds of thousands of them, all alive until the whole file is
 * parsed, so they are copied by every young-generation collection in
 * between. The fast parser (fast-parser.ts) needs only these arrays; token
 * objects are made, by `tokensOf`, for the few declarations it leaves to
 * the full parser.
 */
export interface ScannedTokens {
  /** How many tokens there are: the arrays may be longer. */
  readonly count: number;
  /** Each token's `tokenTypeIdx`, keywords already retagged. */
  readonly types: Int32Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** For a word (a name or a keyword), where its text is in `words`; -1 for other tokens. */
  readonly wordIds: Int32Array;
  /** Each distinct word of the file, once. */
  readonly words: readonly string[];
  readonly comments: Comment[];
}

/**
 * The tokens of `text`, exactly as the lexer (tokens.ts, run by lex.ts)
 * makes them, or undefined when the text holds anything the lexer reports
 * (an unexpected character, an unclosed block comment, a `}` with nothing
 * open, a lone CR in a string): such a file takes the lexer's path, which
 * has the diagnostics. The patterns of each mode are tried in the lexer's
 * order, first match wins; test/scan.test.ts holds the two to the same
 * tokens on generated text.
 */
export function scan(text: string): ScannedTokens | undefined {
  // Programs run to about one token in five or six characters: room for that, grown if need be.
  const tokens = new TokenBuffer(Math.max(256, Math.ceil(text.length / 5)));
  const words = new WordTable(text);
  const comments: Comment[] = [];
  const n = text.length;
  // The mode stack: code (the default, and after `{` or `${`), `"…"`, `"""…"""`.
  const modes: number[] = [CODE];
  let mode = CODE;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (mode === CODE) {
      switch (c) {
        case 32: // space
        case 9: // tab
        case 10: // LF
        case 11: // VT
        case 12: // FF
        case 13: // CR
        case 0xfeff:
          i++;
          while (i < n && isWhiteSpace(text.charCodeAt(i))) i++;
          continue;
        case 47: {
          // `/`: a line comment, a block comment, or `/`.
          const next = text.charCodeAt(i + 1);
          if (next === 47) {
            let j = i + 2;
            while (j < n && text.charCodeAt(j) !== 10 && text.charCodeAt(j) !== 13) j++;
            comments.push({ kind: "LineComment", text: text.slice(i, j), span: { start: i, end: j } });
            i = j;
            continue;
          }
          if (next === 42) {
            const close = text.indexOf("*/", i + 2);
            if (close < 0) return undefined; // FL0106
            comments.push({ kind: "BlockComment", text: text.slice(i, close + 2), span: { start: i, end: close + 2 } });
            i = close + 2;
            continue;
          }
          tokens.add(SLASH, i, i + 1);
          i++;
          continue;
        }
        case 34: // `"`
          if (text.charCodeAt(i + 1) === 34 && text.charCodeAt(i + 2) === 34) {
            tokens.add(TRIPLE_QUOTE, i, i + 3);
            i += 3;
            modes.push((mode = BLOCK));
          } else {
            tokens.add(QUOTE, i, i + 1);
            i++;
            modes.push((mode = STRING));
          }
          continue;
        case 39: {
          // `'text'`: /'[^'\r\n]*'?/
          let j = i + 1;
          while (j < n) {
            const d = text.charCodeAt(j);
            if (d === 39 || d === 10 || d === 13) break;
            j++;
          }
          if (text.charCodeAt(j) === 39) j++;
          tokens.add(FOREIGN_STRING, i, j);
          i = j;
          continue;
        }
        case 96: {
          // `` `text` ``: /`[^`]*`?/
          let j = i + 1;
          while (j < n && text.charCodeAt(j) !== 96) j++;
          if (j < n) j++;
          tokens.add(FOREIGN_STRING, i, j);
          i = j;
          continue;
        }
        case 123: // `{`
          tokens.add(LBRACE, i, i + 1);
          i++;
          modes.push((mode = CODE));
          continue;
        case 125: // `}`
          if (modes.length === 1) return undefined; // nothing open to close: the lexer reports it
          tokens.add(RBRACE, i, i + 1);
          i++;
          modes.pop();
          mode = modes[modes.length - 1]!;
          continue;
        case 40:
          tokens.add(LPAREN, i, ++i);
          continue;
        case 41:
          tokens.add(RPAREN, i, ++i);
          continue;
        case 91:
          tokens.add(LBRACKET, i, ++i);
          continue;
        case 93:
          tokens.add(RBRACKET, i, ++i);
          continue;
        case 44:
          tokens.add(COMMA, i, ++i);
          continue;
        case 58:
          tokens.add(COLON, i, ++i);
          continue;
        case 46:
          tokens.add(DOT, i, ++i);
          continue;
        case 43:
          tokens.add(PLUS, i, ++i);
          continue;
        case 42:
          tokens.add(STAR, i, ++i);
          continue;
        case 45: // `->` or `-`
          if (text.charCodeAt(i + 1) === 62) tokens.add(ARROW, i, (i += 2));
          else tokens.add(MINUS, i, ++i);
          continue;
        case 61: {
          // `=>`, `==` or `=`
          const next = text.charCodeAt(i + 1);
          if (next === 62) tokens.add(FAT_ARROW, i, (i += 2));
          else if (next === 61) tokens.add(EQUAL_EQUAL, i, (i += 2));
          else tokens.add(EQUALS, i, ++i);
          continue;
        }
        case 63: // `??` or `?`
          if (text.charCodeAt(i + 1) === 63) tokens.add(QUESTION_QUESTION, i, (i += 2));
          else tokens.add(QUESTION, i, ++i);
          continue;
        case 124: // `||` or `|`
          if (text.charCodeAt(i + 1) === 124) tokens.add(OR_OR, i, (i += 2));
          else tokens.add(PIPE, i, ++i);
          continue;
        case 38: // `&&`; `&` alone begins no token
          if (text.charCodeAt(i + 1) !== 38) return undefined;
          tokens.add(AND_AND, i, (i += 2));
          continue;
        case 33: // `!=` or `!`
          if (text.charCodeAt(i + 1) === 61) tokens.add(BANG_EQUAL, i, (i += 2));
          else tokens.add(BANG, i, ++i);
          continue;
        case 60: // `<=` or `<`
          if (text.charCodeAt(i + 1) === 61) tokens.add(LESS_EQUAL, i, (i += 2));
          else tokens.add(LESS, i, ++i);
          continue;
        case 62: // `>=` or `>`
          if (text.charCodeAt(i + 1) === 61) tokens.add(GREATER_EQUAL, i, (i += 2));
          else tokens.add(GREATER, i, ++i);
          continue;
        case 36: {
          // `$5.00`; a `$` without a digit begins no token
          if (!isDigit(text.charCodeAt(i + 1))) return undefined;
          const end = numberEnd(text, i + 1);
          tokens.add(MONEY_LITERAL, i, end);
          i = end;
          continue;
        }
        default:
          if (isDigit(c)) {
            const end = numberEnd(text, i);
            tokens.add(NUMBER_LITERAL, i, end);
            i = end;
            continue;
          }
          if (isWordStart(c)) {
            let hash = c;
            let j = i + 1;
            for (; j < n; j++) {
              const d = text.charCodeAt(j);
              if (!isWordPart(d)) break;
              hash = (Math.imul(hash, 31) + d) | 0;
            }
            const id = words.find(i, j, hash);
            tokens.add(words.types[id]!, i, j);
            tokens.wordIds[tokens.count - 1] = id;
            i = j;
            continue;
          }
          return undefined; // FL0101
      }
    }
    // In a string or a block string.
    if (c === 36) {
      // `${` or `$`
      if (text.charCodeAt(i + 1) === 123) {
        tokens.add(INTERPOLATION_START, i, (i += 2));
        modes.push((mode = CODE));
      } else tokens.add(DOLLAR, i, ++i);
      continue;
    }
    if (c === 92) {
      // /\\(?:u\{[^}"\r\n]*\}|[\s\S])?/
      let end = Math.min(i + 2, n);
      if (text.charCodeAt(i + 1) === 117 && text.charCodeAt(i + 2) === 123) {
        let j = i + 3;
        while (j < n) {
          const d = text.charCodeAt(j);
          if (d === 125 || d === 34 || d === 10 || d === 13) break;
          j++;
        }
        if (text.charCodeAt(j) === 125) end = j + 1;
      }
      tokens.add(ESCAPE, i, end);
      i = end;
      continue;
    }
    if (mode === STRING) {
      if (c === 34) {
        tokens.add(QUOTE_CLOSE, i, ++i);
      } else if (c === 10) {
        tokens.add(STRING_NEWLINE, i, ++i);
      } else if (c === 13) {
        if (text.charCodeAt(i + 1) !== 10) return undefined; // a lone CR: no pattern of the mode matches it
        tokens.add(STRING_NEWLINE, i, (i += 2));
      } else {
        let j = i + 1;
        while (j < n) {
          const d = text.charCodeAt(j);
          if (d === 34 || d === 92 || d === 36 || d === 10 || d === 13) break;
          j++;
        }
        tokens.add(STRING_TEXT, i, j);
        i = j;
        continue;
      }
      modes.pop();
      mode = modes[modes.length - 1]!;
      continue;
    }
    // A block string: `"""` closes it; a `"` not starting `"""` is text.
    if (c === 34 && text.charCodeAt(i + 1) === 34 && text.charCodeAt(i + 2) === 34) {
      tokens.add(TRIPLE_QUOTE_CLOSE, i, (i += 3));
      modes.pop();
      mode = modes[modes.length - 1]!;
      continue;
    }
    let j = i + 1;
    while (j < n) {
      const d = text.charCodeAt(j);
      if (d === 92 || d === 36) break;
      if (d === 34 && text.charCodeAt(j + 1) === 34 && text.charCodeAt(j + 2) === 34) break;
      j++;
    }
    tokens.add(BLOCK_TEXT, i, j);
    i = j;
  }
  return { count: tokens.count, types: tokens.types, starts: tokens.starts, ends: tokens.ends, wordIds: tokens.wordIds, words: words.texts, comments };
}

/**
 * The distinct words of a file, each cut out of the text once: a word is
 * found by a hash of its characters, computed while scanning it, and
 * compared in place. Names recur (a large program has a quarter of a
 * million names and some ten thousand distinct ones): every Ident of one
 * name shares one string, which spares the memory of the tree and the time
 * of cutting each out. The keywords are entered first, with their types.
 */
class WordTable {
  readonly texts: string[] = [];
  readonly types: number[] = [];
  private readonly hashes: number[] = [];
  /** Open addressing: an entry's index + 1, 0 for a free slot. */
  private slots = new Int32Array(1024);

  constructor(private readonly text: string) {
    for (const [word, type] of keywordTypes) this.add(word, type, hashOf(word));
  }

  /** The entry of the word at `start`…`end`, entered now if it is new. */
  find(start: number, end: number, hash: number): number {
    const mask = this.slots.length - 1;
    const length = end - start;
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const slot = this.slots[at]!;
      if (slot === 0) break;
      const id = slot - 1;
      if (this.hashes[id] === hash && this.texts[id]!.length === length && this.sameText(this.texts[id]!, start)) return id;
    }
    return this.add(this.text.slice(start, end), IDENTIFIER, hash);
  }

  /** Whether the text at `start` spells `word` (whose length is known to fit). */
  private sameText(word: string, start: number): boolean {
    for (let k = 0; k < word.length; k++) if (this.text.charCodeAt(start + k) !== word.charCodeAt(k)) return false;
    return true;
  }

  private add(word: string, type: number, hash: number): number {
    const id = this.texts.length;
    this.texts.push(word);
    this.types.push(type);
    this.hashes.push(hash);
    // Kept at most half full, so that probes stay short.
    if (2 * this.texts.length > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(id);
    return id;
  }

  private place(id: number): void {
    const mask = this.slots.length - 1;
    let at = this.hashes[id]! & mask;
    while (this.slots[at] !== 0) at = (at + 1) & mask;
    this.slots[at] = id + 1;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    for (let id = 0; id < this.texts.length; id++) this.place(id);
  }
}

/** The hash the scanner computes over a word's characters. */
function hashOf(word: string): number {
  let hash = word.charCodeAt(0);
  for (let k = 1; k < word.length; k++) hash = (Math.imul(hash, 31) + word.charCodeAt(k)) | 0;
  return hash;
}

/** Growing typed arrays: their contents live outside the heap the garbage collector copies. */
class TokenBuffer {
  count = 0;
  types: Int32Array;
  starts: Int32Array;
  ends: Int32Array;
  wordIds: Int32Array;

  constructor(private capacity: number) {
    this.types = new Int32Array(capacity);
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
    this.wordIds = new Int32Array(capacity).fill(-1);
  }

  add(type: number, start: number, end: number): void {
    if (this.count === this.capacity) this.grow();
    const at = this.count++;
    this.types[at] = type;
    this.starts[at] = start;
    this.ends[at] = end;
  }

  private grow(): void {
    this.capacity *= 2;
    this.types = grown(this.types, this.capacity);
    this.starts = grown(this.starts, this.capacity);
    this.ends = grown(this.ends, this.capacity);
    const wordIds = new Int32Array(this.capacity).fill(-1);
    wordIds.set(this.wordIds);
    this.wordIds = wordIds;
  }
}

function grown(array: Int32Array, capacity: number): Int32Array {
  const larger = new Int32Array(capacity);
  larger.set(array);
  return larger;
}

/** The tokens from `from` to `to` as the lexer's token objects, for the full parser. */
export function tokensOf(scanned: ScannedTokens, text: string, from: number, to: number): IToken[] {
  const tokens: IToken[] = [];
  for (let k = from; k < to; k++) tokens.push(tokenAt(scanned, text, k));
  return tokens;
}

/** One token as the lexer's token object (the fields chevrotain makes with `positionTracking: "onlyOffset"`). */
export function tokenAt(scanned: ScannedTokens, text: string, k: number): IToken {
  const type = scanned.types[k]!;
  const start = scanned.starts[k]!;
  return { image: text.slice(start, scanned.ends[k]!), startOffset: start, tokenTypeIdx: type, tokenType: tokenTypes[type]! } as IToken;
}

/** `\d+(?:\.\d+)?(?:[A-Za-z_][A-Za-z0-9_]*|%)?` from `i`, which holds a digit: where it ends. */
function numberEnd(text: string, i: number): number {
  const n = text.length;
  let j = i + 1;
  while (j < n && isDigit(text.charCodeAt(j))) j++;
  if (text.charCodeAt(j) === 46 && isDigit(text.charCodeAt(j + 1))) {
    j += 2;
    while (j < n && isDigit(text.charCodeAt(j))) j++;
  }
  const c = text.charCodeAt(j);
  if (isWordStart(c)) {
    j++;
    while (j < n && isWordPart(text.charCodeAt(j))) j++;
  } else if (c === 37) j++;
  return j;
}

function isWhiteSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xfeff;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isWordStart(c: number): boolean {
  return c < 128 && wordCharacters[c] === 2;
}

function isWordPart(c: number): boolean {
  return c < 128 && wordCharacters[c] !== 0;
}

/** For each ASCII character: 2 for a letter or `_`, 1 for a digit, 0 otherwise. */
const wordCharacters = new Uint8Array(128);
for (let c = 0; c < 128; c++) wordCharacters[c] = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 ? 2 : c >= 48 && c <= 57 ? 1 : 0;

const CODE = 0;
const STRING = 1;
const BLOCK = 2;


/** Each keyword's token type index, by its word (as `retagKeywords` gives them). */
const keywordTypes = new Map<string, number>([...Object.entries(T.Kw), ...Object.entries(T.Ckw)].map(([word, type]) => [word, idx(type)]));

/** Token types by index. */
const tokenTypes: TokenType[] = [];
for (const type of T.allTokenTypes) tokenTypes[idx(type)] = type;
