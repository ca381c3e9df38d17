/** `import text from "./guest-agent.c?raw"`: the guest's sources, bundled as text (Vite and esbuild both resolve it). */
declare module "*.c?raw" {
  const text: string;
  export default text;
}
declare module "*.sh?raw" {
  const text: string;
  export default text;
}
