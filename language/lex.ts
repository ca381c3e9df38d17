import { Lexer, type IToken } from "chevrotain";
import type { Comment } from "./ast.ts";
import type { Diagnostic } from "./diagnostics/diagnostic.ts";
import { syntaxError } from "./syntax-error.ts";
import type { SourceFile } from "./source-file.ts";
import { BlockComment, lexerDefinition, retagKeywords, UnterminatedBlockComment } from "./tokens.ts";

export interface LexResult {
  readonly tokens: IToken[];
  readonly comments: Comment[];
  readonly diagnostics: Diagnostic[];
}

let lexer: Lexer | undefined;

function sharedLexer(): Lexer {
  // Validations cost start-up time on every `flow` invocation; the test
  // suite builds the lexer once with them on (see test/grammar-validation.test.ts).
  lexer ??= new Lexer(lexerDefinition, {
    positionTracking: "onlyOffset",
    skipValidations: true,
    ensureOptimizations: false,
  });
  return lexer;
}

export function lex(source: SourceFile): LexResult {
  const result = sharedLexer().tokenize(source.text);
  retagKeywords(result.tokens);
  const diagnostics: Diagnostic[] = [];

  for (const error of result.errors) {
    // A `}` with nothing open: chevrotain still emits the token, and the
    // parser reports it where it is unexpected, with better words.
    if (error.message.startsWith("Unable to pop Lexer Mode")) continue;
    const text = source.text.slice(error.offset, error.offset + error.length);
    diagnostics.push(
      syntaxError(source, "FL0101", { start: error.offset, end: error.offset + Math.max(1, error.length) }, {
        message: `unexpected character ${describeCharacters(text)}`,
        label: "not part of any token",
        help: helpForCharacter(text),
      }),
    );
  }

  const comments: Comment[] = [];
  for (const token of result.groups["comments"] ?? []) {
    const span = { start: token.startOffset, end: token.startOffset + token.image.length };
    if (token.tokenType === UnterminatedBlockComment) {
      diagnostics.push(
        syntaxError(source, "FL0106", { start: span.start, end: span.start + 2 }, {
          message: "this block comment is never closed",
          label: "the comment starts here",
          help: "end it with `*/`",
        }),
      );
    }
    comments.push({
      kind: token.tokenType === BlockComment || token.tokenType === UnterminatedBlockComment ? "BlockComment" : "LineComment",
      text: token.image,
      span,
    });
  }

  return { tokens: result.tokens, comments, diagnostics };
}

/** Invisible, spacing and control characters are named by code point; the rest shown as written. */
function describeCharacters(text: string): string {
  const characters = [...text].slice(0, 8);
  const invisible = characters.some((c) => /[\p{C}\p{Z}]/u.test(c));
  if (invisible || characters.includes("`")) {
    return characters.map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`).join(" ");
  }
  return `\`${characters.join("")}\``;
}

function helpForCharacter(text: string): string {
  if (text.startsWith("'")) return 'strings go in double quotes: `"text"`';
  if (text.startsWith("#")) return "comments start with `//`";
  if (text.startsWith(";")) return "statements need no `;`: end the line instead";
  if (/^[\p{C}\p{Z}]/u.test(text)) return "an invisible character, often pasted along with code: delete it";
  return "remove it";
}
