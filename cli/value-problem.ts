/**
 * What `validateValue` found wrong with a value given from outside (an
 * argument, a signal's value), as the end of a sentence about the value:
 * `it has no field \`n\``, or, where the problem is inside it,
 * `in it, \`verdict\` is "maybe", not one of "approve", "revise"`.
 */
export function whatIsWrong(problem: string): string {
  return problem.startsWith("`") ? `in it, ${problem}` : `it ${problem}`;
}
