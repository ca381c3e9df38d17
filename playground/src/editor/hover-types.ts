import { Range, languages, type IDisposable } from "./monaco.ts";
import type { HoverType } from "../protocol.ts";
import { flowLanguageId } from "./flow-language.ts";

/**
 * Hover over an expression the checker typed: the innermost one under the
 * pointer wins (a call's callee inside a `for`'s list shows the signature,
 * not the list's type). `current` is read at hover time, so the provider is
 * registered once and shows the latest analysis.
 */
export function registerHoverTypes(current: () => readonly HoverType[]): IDisposable {
  return languages.registerHoverProvider(flowLanguageId, {
    provideHover(_model, position) {
      let best: { hover: HoverType; range: Range } | undefined;
      for (const hover of current()) {
        const r = hover.range;
        const range = new Range(r.startLine, r.startColumn, r.endLine, r.endColumn);
        if (!range.containsPosition(position)) continue;
        if (best === undefined || best.range.containsRange(range)) best = { hover, range };
      }
      if (best === undefined) return null;
      return { range: best.range, contents: [{ value: `\`\`\`flow\n${best.hover.text}\n\`\`\`` }] };
    },
  });
}
