import type { builders } from "prettier/doc";
import type { ListType, TypeExpr } from "../ast.ts";
import type { PrintContext } from "./context.ts";
import { printList } from "./print-list.ts";
import { escapePlainText } from "./print-string.ts";

type Doc = builders.Doc;

/**
 * Whether a type needs parentheses where it stands. A union is loosest: it
 * needs them as a member of another union or under `?`. A function type's
 * result takes every `?` and `|` after it, so a function type needs them
 * there too. `T??` would lex as `??`, so an optional directly under `?` is
 * parenthesized as well.
 */
function needsParens(type: TypeExpr, parent: "union-member" | "optional" | "top"): boolean {
  if (parent === "top") return false;
  if (type.kind === "UnionType" || type.kind === "FunctionType") return true;
  return parent === "optional" && type.kind === "OptionalType";
}

/** `200` or `n`: a list's bound as written. */
function boundText(max: ListType["max"]): string {
  if (max === null) return "";
  return `, max ${max.kind === "Ident" ? max.name : max.raw}`;
}

function wrap(doc: Doc, parens: boolean): Doc {
  return parens ? ["(", doc, ")"] : doc;
}

export function printType(type: TypeExpr, ctx: PrintContext): Doc {
  switch (type.kind) {
    case "NamedType":
      return type.name.name;
    case "ListType":
      return ["List<", printType(type.element, ctx), boundText(type.max), ">"];
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
    case "FunctionType":
      // The result is written after the `)`, so comments up to it go inside the parentheses.
      return [
        printList(ctx, {
          open: "(",
          close: ")",
          spaced: false,
          items: type.params,
          start: type.span.start,
          end: type.result.span.start,
          print: (param) => printType(param, ctx),
        }),
        " -> ",
        printType(type.result, ctx),
      ];
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
      return `List<${flatTypeText(type.element)}${boundText(type.max)}>`;
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
    case "FunctionType":
      return `(${type.params.map(flatTypeText).join(", ")}) -> ${flatTypeText(type.result)}`;
    case "ErrorType":
      throw new Error("cannot format a tree that has syntax errors");
    default: {
      const unreachable: never = type;
      throw new Error(`unknown type kind ${(unreachable as TypeExpr).kind}`);
    }
  }
}
