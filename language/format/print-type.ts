import type { builders } from "prettier/doc";
import type { TypeExpr } from "../ast.ts";
import type { PrintContext } from "./context.ts";
import { printList } from "./print-list.ts";
import { escapePlainText } from "./print-string.ts";

type Doc = builders.Doc;

/**
 * Whether a type needs parentheses where it stands. A union is loosest: it
 * needs them as a member of another union or under `?`. `T??` would lex as
 * `??`, so an optional directly under `?` is parenthesized as well.
 */
function needsParens(type: TypeExpr, parent: "union-member" | "optional" | "top"): boolean {
  if (parent === "top") return false;
  if (type.kind === "UnionType") return true;
  return parent === "optional" && type.kind === "OptionalType";
}

function wrap(doc: Doc, parens: boolean): Doc {
  return parens ? ["(", doc, ")"] : doc;
}

export function printType(type: TypeExpr, ctx: PrintContext): Doc {
  switch (type.kind) {
    case "NamedType":
      return type.name.name;
    case "ListType":
      return ["List<", printType(type.element, ctx), type.max === null ? "" : [", max ", type.max.raw], ">"];
    case "RecordType":
      return printList(ctx, {
        open: "{",
        close: "}",
        spaced: true,
        items: type.fields,
        start: type.span.start,
        end: type.span.end,
        print: (field) => [field.name.name, ": ", printType(field.type, ctx)],
      });
    case "OptionalType":
      return [wrap(printType(type.inner, ctx), needsParens(type.inner, "optional")), "?"];
    case "UnionType":
      return type.members.map((member, i) => [
        i === 0 ? "" : " | ",
        wrap(printType(member, ctx), needsParens(member, "union-member")),
      ]);
    case "LiteralType":
      return ['"', escapePlainText(type.value), '"'];
    case "ErrorType":
      throw new Error("cannot format a tree that has syntax errors");
    default: {
      const unreachable: never = type;
      throw new Error(`unknown type kind ${(unreachable as TypeExpr).kind}`);
    }
  }
}

/** A type on one line without comments: how wide it is when aligning `let` names. */
export function flatTypeText(type: TypeExpr): string {
  const inner = (t: TypeExpr, parent: "union-member" | "optional" | "top"): string => {
    const text = flatTypeText(t);
    return needsParens(t, parent) ? `(${text})` : text;
  };
  switch (type.kind) {
    case "NamedType":
      return type.name.name;
    case "ListType":
      return `List<${flatTypeText(type.element)}${type.max === null ? "" : `, max ${type.max.raw}`}>`;
    case "RecordType":
      return type.fields.length === 0
        ? "{}"
        : `{ ${type.fields.map((f) => `${f.name.name}: ${flatTypeText(f.type)}`).join(", ")} }`;
    case "OptionalType":
      return `${inner(type.inner, "optional")}?`;
    case "UnionType":
      return type.members.map((m) => inner(m, "union-member")).join(" | ");
    case "LiteralType":
      return `"${escapePlainText(type.value)}"`;
    case "ErrorType":
      throw new Error("cannot format a tree that has syntax errors");
    default: {
      const unreachable: never = type;
      throw new Error(`unknown type kind ${(unreachable as TypeExpr).kind}`);
    }
  }
}
