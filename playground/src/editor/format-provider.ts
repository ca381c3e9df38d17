import { languages, type IDisposable } from "./monaco.ts";
import type { CompilerClient } from "../compiler-client.ts";
import { flowLanguageId } from "./flow-language.ts";

/**
 * `flow fmt` as the editor's "Format Document" (Shift+Alt+F, and the page's
 * Format button): the whole text replaced by its canonical layout, one edit,
 * so undo takes it back in one step. A file with syntax errors is left as it is.
 */
export function registerFormatter(client: CompilerClient, path: () => string, onRefused: (reason: string) => void): IDisposable {
  return languages.registerDocumentFormattingEditProvider(flowLanguageId, {
    async provideDocumentFormattingEdits(model) {
      const result = await client.format(path(), model.getValue());
      if (result.kind === "not-formatted") {
        onRefused(result.reason);
        return [];
      }
      return result.text === model.getValue() ? [] : [{ range: model.getFullModelRange(), text: result.text }];
    },
  });
}
