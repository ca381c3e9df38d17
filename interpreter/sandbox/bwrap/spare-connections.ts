import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeDeadProcessesDirs } from "../own-dir.ts";

/**
 * Where the sandboxes the spare helper starts (./spare-helper.ts) connect
 * their agent to this process: a unix socket in a directory of its own
 * that only this process's user may enter (`flow-spares-PID-RANDOM` in
 * the temporary directory, made by mkdtemp: no other user can make it
 * first; sandboxes have a /tmp of their own), each connection opening
 * with the random token of the start it answers and bwrap's pid. A
 * connection with a token no start is waiting for is closed, and so is one
 * that has not said its token within a few seconds. The directory is
 * removed at exit, and a dead process's by the next one, but only a
 * directory of this user's that no other may write in: the temporary
 * directory is everyone's, and removing what another user made there
 * would let them steer the removal elsewhere (a directory swapped for a
 * symbolic link while it is emptied).
 */
export class SpareConnections {
  private readonly waiting = new Map<string, (connection: { readonly socket: Socket; readonly pid: number }) => void>();

  private constructor(
    private readonly server: Server,
    readonly path: string,
  ) {
    server.on("connection", (socket) => this.accept(socket));
    server.unref();
  }

  static async open(): Promise<SpareConnections> {
    removeDeadProcessesDirs(tmpdir(), /^flow-spares-(\d+)-[A-Za-z0-9]{6}$/);
    // mkdtemp makes it 0700, under a name no one could take ahead of it.
    const dir = mkdtempSync(join(tmpdir(), `flow-spares-${process.pid}-`));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "agents.sock");
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => resolve());
    });
    return new SpareConnections(server, path);
  }

  /** A new token, and the connection that will come with it (never, if the start fails: the caller gives up then, with `forget`). */
  expect(): { readonly token: string; readonly connected: Promise<{ readonly socket: Socket; readonly pid: number }> } {
    const token = randomBytes(16).toString("hex");
    const connected = new Promise<{ readonly socket: Socket; readonly pid: number }>((resolve) => this.waiting.set(token, resolve));
    return { token, connected };
  }

  forget(token: string): void {
    this.waiting.delete(token);
  }

  /** Reads the opening line, then hands the socket (and whatever came after the line: the agent's first frames) to the start that waits for it. */
  private accept(socket: Socket): void {
    let received = Buffer.alloc(0);
    socket.on("error", () => undefined);
    // A sandbox's agent says its token at once: a connection that does not is not one of them, and is not kept open.
    socket.setTimeout(5000, () => socket.destroy());
    const read = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf(0x0a);
      if (end < 0) {
        if (received.length > 256) socket.destroy();
        return;
      }
      socket.off("data", read);
      socket.setTimeout(0);
      socket.pause();
      const [token = "", pid = ""] = received.subarray(0, end).toString("utf8").split(" ");
      const resolve = this.waiting.get(token);
      if (resolve === undefined || !/^\d+$/.test(pid)) {
        socket.destroy();
        return;
      }
      this.waiting.delete(token);
      const rest = received.subarray(end + 1);
      if (rest.length > 0) socket.unshift(rest);
      resolve({ socket, pid: Number(pid) });
    };
    socket.on("data", read);
  }
}

let opened: Promise<SpareConnections> | null = null;

/** This process's socket for spares, opened on first use. */
export function spareConnections(): Promise<SpareConnections> {
  opened ??= SpareConnections.open();
  return opened;
}
