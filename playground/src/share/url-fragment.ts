/**
 * The source in the URL's fragment, so a link is the whole program and no
 * server keeps anything: `#src=` and the UTF-8 text deflated (raw DEFLATE,
 * the browser's own CompressionStream) in base64url. Fragments never reach
 * a server's logs. Example programs compress to well under the 2 kB or so
 * that chat tools keep of a link.
 */
const prefix = "#src=";

export async function encodeFragment(source: string): Promise<string> {
  const deflated = await pipe(new TextEncoder().encode(source), new CompressionStream("deflate-raw"));
  return prefix + base64url(deflated);
}

/** The source a fragment holds, or undefined when it holds none (or a damaged one). */
export async function decodeFragment(fragment: string): Promise<string | undefined> {
  if (!fragment.startsWith(prefix)) return undefined;
  try {
    const inflated = await pipe(fromBase64url(fragment.slice(prefix.length)), new DecompressionStream("deflate-raw"));
    return new TextDecoder("utf-8", { fatal: true }).decode(inflated);
  } catch {
    return undefined;
  }
}

async function pipe(bytes: Uint8Array, transform: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(transform);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
