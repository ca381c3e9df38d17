import type { BinaryOp } from "./ast.ts";

/**
 * Binding power of the binary operators and `as`, loosest first. The parser
 * folds operator chains with this table and the printer uses it to put back
 * exactly the parentheses a tree needs; keeping it in one place is what
 * makes print∘parse the identity.
 *
 *   lambda `=>`            (loosest; not in this table, handled by the grammar)
 *   1  ??                  right-associative
 *   2  ||
 *   3  &&
 *   4  == !=               non-associative: `a == b == c` needs parentheses
 *   5  < <= > >=           non-associative
 *   6  + -
 *   7  * /
 *   8  as                  postfix cast: `a * b as float` is `a * (b as float)`
 *   9  ! - (prefix)
 *   10 call, field access  (tightest)
 */
export const binaryPrecedence: Readonly<Record<BinaryOp, number>> = {
  "??": 1,
  "||": 2,
  "&&": 3,
  "==": 4,
  "!=": 4,
  "<": 5,
  "<=": 5,
  ">": 5,
  ">=": 5,
  "+": 6,
  "-": 6,
  "*": 7,
  "/": 7,
};

export const castPrecedence = 8;
export const prefixPrecedence = 9;
export const postfixPrecedence = 10;

export type Associativity = "left" | "right" | "none";

export function associativity(op: BinaryOp): Associativity {
  switch (op) {
    case "??":
      return "right";
    case "==":
    case "!=":
    case "<":
    case "<=":
    case ">":
    case ">=":
      return "none";
    case "||":
    case "&&":
    case "+":
    case "-":
    case "*":
    case "/":
      return "left";
  }
}
