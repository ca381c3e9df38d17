import {
  getLookaheadPaths,
  LLkLookaheadStrategy,
  type BaseParser,
  type IOrAlt,
  type IToken,
  type OptionalProductionType,
  type Rule,
  type TokenType,
} from "chevrotain";

/** The parser as a lookahead function sees it (`LA` is protected in chevrotain's types). */
type Ahead = { LA(howMuch: number): IToken };

/** The token type indices a token of this type or category stands for. */
function matchingIndices(type: TokenType): number[] {
  return [type.tokenTypeIdx!, ...(type.categoryMatches ?? [])];
}

/** Whether the tokens ahead, from LA(`from`) on, match `path`, categories included. */
function pathMatches(parser: Ahead, path: readonly TokenType[], from = 1): boolean {
  for (let i = 0; i < path.length; i++) {
    const token = parser.LA(i + from);
    const type = path[i]!;
    if (token.tokenTypeIdx !== type.tokenTypeIdx && type.categoryMatchesMap?.[token.tokenTypeIdx!] !== true) return false;
  }
  return true;
}

/**
 * Chevrotain's LL(k) lookahead, indexed by the next token. Where a decision
 * needs more than one token, or an alternative has a GATE, chevrotain tries
 * every path of every alternative in turn (and, with a GATE, copies the
 * predicates into a fresh array first) on every call: `expression`, whose
 * lambda alternative has a GATE, decides that way on every expression.
 * Here the paths are grouped once by the token they can start with, so a
 * decision tries only the alternatives that can start with the next token,
 * in the same order, with the same predicates: the same choice, made sooner.
 * One-token decisions without predicates keep chevrotain's own table.
 */
export class FirstTokenLookahead extends LLkLookaheadStrategy {
  override buildLookaheadForAlternation(options: {
    prodOccurrence: number;
    rule: Rule;
    maxLookahead: number;
    hasPredicates: boolean;
    dynamicTokensEnabled: boolean;
  }): (this: BaseParser, orAlts?: IOrAlt<unknown>[]) => number | undefined {
    const alternatives = getLookaheadPaths({
      occurrence: options.prodOccurrence,
      rule: options.rule,
      prodType: "Alternation",
      maxLookahead: options.maxLookahead,
    });
    const oneToken = alternatives.every((paths) => paths.every((path) => path.length === 1));
    if ((oneToken && !options.hasPredicates) || options.dynamicTokensEnabled) return super.buildLookaheadForAlternation(options);

    // For each next token type, the alternatives that can start with it, in
    // order, each with what its paths need after that token: nothing (null)
    // when the token alone decides, as for most.
    type Candidate = { readonly alt: number; readonly rests: TokenType[][] | null };
    const candidatesFor = (idx: number | undefined): Candidate[] => {
      const candidates: Candidate[] = [];
      alternatives.forEach((paths, alt) => {
        const rests: TokenType[][] = [];
        let decided = false;
        for (const path of paths) {
          if (path.length === 0) decided = true;
          else if (idx !== undefined && matchingIndices(path[0]!).includes(idx)) {
            if (path.length === 1) decided = true;
            else rests.push(path.slice(1));
          }
        }
        if (decided) candidates.push({ alt, rests: null });
        else if (rests.length > 0) candidates.push({ alt, rests });
      });
      return candidates;
    };
    const table: Candidate[][] = [];
    for (const paths of alternatives)
      for (const path of paths)
        if (path.length > 0) for (const idx of matchingIndices(path[0]!)) table[idx] ??= candidatesFor(idx);
    const fallback = candidatesFor(undefined);

    return function (this: BaseParser, orAlts?: IOrAlt<unknown>[]): number | undefined {
      const parser = this as unknown as Ahead;
      const candidates = table[parser.LA(1).tokenTypeIdx!] ?? fallback;
      for (let c = 0; c < candidates.length; c++) {
        const { alt, rests } = candidates[c]!;
        const gate = orAlts?.[alt]?.GATE;
        if (gate !== undefined && gate.call(this) === false) continue;
        if (rests === null) return alt;
        for (let r = 0; r < rests.length; r++) if (pathMatches(parser, rests[r]!, 2)) return alt;
      }
      return undefined;
    };
  }

  override buildLookaheadForOptional(options: {
    prodOccurrence: number;
    prodType: OptionalProductionType;
    rule: Rule;
    maxLookahead: number;
    dynamicTokensEnabled: boolean;
  }): (this: BaseParser) => boolean {
    const [paths = []] = getLookaheadPaths({
      occurrence: options.prodOccurrence,
      rule: options.rule,
      prodType: options.prodType,
      maxLookahead: options.maxLookahead,
    });
    if (paths.every((path) => path.length === 1) || options.dynamicTokensEnabled) return super.buildLookaheadForOptional(options);
    if (paths.some((path) => path.length === 0)) return () => true;
    // For each next token type: true when it alone decides, else what the paths starting with it need after it.
    const byFirst: (true | TokenType[][])[] = [];
    for (const path of paths)
      for (const idx of matchingIndices(path[0]!)) {
        const entry = byFirst[idx];
        if (path.length === 1) byFirst[idx] = true;
        else if (entry === undefined) byFirst[idx] = [path.slice(1)];
        else if (entry !== true) entry.push(path.slice(1));
      }
    return function (this: BaseParser): boolean {
      const parser = this as unknown as Ahead;
      const rests = byFirst[parser.LA(1).tokenTypeIdx!];
      if (rests === undefined || rests === true) return rests === true;
      for (let r = 0; r < rests.length; r++) if (pathMatches(parser, rests[r]!, 2)) return true;
      return false;
    };
  }
}
