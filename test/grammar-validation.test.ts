import { Lexer } from "chevrotain";
import { describe, expect, it } from "vitest";
import { FlowParser } from "../language/parser.ts";
import { lexerDefinition } from "../language/tokens.ts";

/**
 * The command line builds the lexer and parser with chevrotain's grammar
 * validations off, to start fast. Here they run in full: an ambiguous
 * alternative, a left recursion or a bad token definition fails the build.
 */
describe("the grammar", () => {
  it("passes chevrotain's parser validations", () => {
    expect(() => new FlowParser({ validate: true })).not.toThrow();
  });

  it("passes chevrotain's lexer validations", () => {
    const lexer = new Lexer(lexerDefinition, { positionTracking: "onlyOffset" });
    expect(lexer.lexerDefinitionErrors).toEqual([]);
  });
});
