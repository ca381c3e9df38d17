/**
 * Monaco with only what the playground uses: `monaco-editor/editor` is the
 * editor's API without any language (the package's root entry registers
 * every language and their workers, the TypeScript one alone some 7 MB),
 * and each feature below is one contribution of the editor.
 */
import "monaco-editor/features/bracketMatching/register.js";
import "monaco-editor/features/clipboard/register.js";
import "monaco-editor/features/comment/register.js";
import "monaco-editor/features/contextmenu/register.js";
import "monaco-editor/features/cursorUndo/register.js";
import "monaco-editor/features/find/register.js";
import "monaco-editor/features/folding/register.js";
import "monaco-editor/features/format/register.js";
import "monaco-editor/features/gotoError/register.js";
import "monaco-editor/features/hover/register.js";
import "monaco-editor/features/linesOperations/register.js";
import "monaco-editor/features/multicursor/register.js";
import "monaco-editor/features/wordOperations/register.js";
import EditorWorker from "monaco-editor/editor/editor.worker.js?worker";

// The editor's own worker (word ranges, link detection): the one worker Monaco needs without a language service.
self.MonacoEnvironment = { getWorker: () => new EditorWorker() };

export * from "monaco-editor/editor";
