import type * as A from "../language/ast.ts";
import type { SyntaxErrorText } from "../language/syntax-error.ts";
import type { Span } from "../language/source-file.ts";

export interface RepeatedField extends SyntaxErrorText {
  /** The field given again: where the problem is reported. */
  readonly span: Span;
}

/**
 * FL0225: a record literal (`{ a: 1, a: 2 }`) or record type
 * (`{ a: int, a: string }`) naming one field twice. A record holds each
 * field once, so one of the two would be silently lost; each repeat is
 * reported, pointing back at the field's first appearance.
 */
export function repeatedFields(fields: readonly (A.RecordField | A.RecordTypeField)[], of: "literal" | "type"): RepeatedField[] {
  const repeats: RepeatedField[] = [];
  // Records have a handful of fields: comparing each with those before it is quicker than hashing them.
  for (let i = 1; i < fields.length; i++) {
    const name = fields[i]!.name.name;
    let earlier: A.Ident | undefined;
    for (let j = 0; j < i && earlier === undefined; j++) if (fields[j]!.name.name === name) earlier = fields[j]!.name;
    if (earlier === undefined) continue;
    repeats.push({
      span: fields[i]!.name.span,
      message: `the field \`${name}\` is ${of === "literal" ? "given" : "declared"} twice in this record${of === "type" ? " type" : ""}`,
      label: "repeated field",
      secondary: [{ span: earlier.span, label: "first here" }],
      help:
        of === "literal"
          ? `a record has each field once: remove one \`${name}\`, or give it another name`
          : `a record type names each field once: remove one \`${name}\`, or give it another name`,
    });
  }
  return repeats;
}
