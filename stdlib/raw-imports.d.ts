/** `import text from "./file.flow?raw"`: the file's text, bundled (Vite and esbuild both resolve it). */
declare module "*.flow?raw" {
  const text: string;
  export default text;
}
