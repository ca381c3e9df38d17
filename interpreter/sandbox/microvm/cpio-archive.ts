import { gzipSync } from "node:zlib";

/**
 * An initramfs is a gzip'd cpio archive in the "newc" format. Written here
 * rather than with cpio(1) because the archive must hold a device node and
 * files at paths of its own choosing (not a directory tree on disk), and so
 * that the same inputs give the same bytes: every entry is owned by root
 * with time 0.
 */
export type CpioEntry =
  | { readonly kind: "directory"; readonly path: string }
  | { readonly kind: "file"; readonly path: string; readonly data: Buffer; readonly executable: boolean }
  | { readonly kind: "symlink"; readonly path: string; readonly target: string }
  | { readonly kind: "char-device"; readonly path: string; readonly major: number; readonly minor: number };

export function gzippedCpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let inode = 1;
  for (const entry of entries) parts.push(...record(entry, inode++));
  parts.push(...record({ kind: "file", path: "TRAILER!!!", data: Buffer.alloc(0), executable: false }, 0));
  return gzipSync(Buffer.concat(parts), { level: 9 });
}

function record(entry: CpioEntry, inode: number): Buffer[] {
  const { mode, data, device } = describe(entry);
  const name = Buffer.from(`${entry.path}\0`);
  const fields = [inode, mode, 0, 0, entry.kind === "directory" ? 2 : 1, 0, data.length, 0, 0, device[0], device[1], name.length, 0];
  const header = Buffer.from(`070701${fields.map((field) => field.toString(16).padStart(8, "0")).join("")}`, "ascii");
  return [header, name, padding(header.length + name.length), data, padding(data.length)];
}

function describe(entry: CpioEntry): { readonly mode: number; readonly data: Buffer; readonly device: readonly [number, number] } {
  switch (entry.kind) {
    case "directory":
      return { mode: 0o040755, data: Buffer.alloc(0), device: [0, 0] };
    case "file":
      return { mode: entry.executable ? 0o100755 : 0o100644, data: entry.data, device: [0, 0] };
    case "symlink":
      return { mode: 0o120777, data: Buffer.from(entry.target), device: [0, 0] };
    case "char-device":
      return { mode: 0o020600, data: Buffer.alloc(0), device: [entry.major, entry.minor] };
  }
}

/** newc pads both the header with its name and the data to a multiple of 4 bytes. */
function padding(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}
