import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { startServer } from "../../playground/server/server.ts";
import { serverSigner } from "../../playground/server/server-signer.ts";
import { ServeTokens } from "../../playground/server/serve-tokens.ts";
import { isLoopback } from "../../playground/server/request-auth.ts";
import { keyFingerprint } from "../../interpreter/gates/decision.ts";
import { driverOptions } from "../driver-options.ts";
import { exitCodes, UsageError } from "../exit-codes.ts";
import type { CommandIo } from "../io.ts";
import { readProjectConfig } from "../project-config.ts";
import { openRunStore } from "../run-store.ts";
import { runnerKey } from "../runner-key.ts";
import { defaultKeyName } from "../approver-keys.ts";

export interface ServeOptions {
  readonly port: number;
  readonly host: string;
  readonly store: string | undefined;
  /** Which of your keys signs decisions made through the API; the project's runner key when undefined. */
  readonly key: string | undefined;
  /** The holder of the token made on first start. */
  readonly holder: string | undefined;
  /** Make a token for this holder, print it, and exit. */
  readonly addToken: string | undefined;
  /** The web app's assets; `dist/playground` beside the bundle when undefined. */
  readonly staticDir: string | undefined;
  readonly parkAfterMs: number;
  readonly tickEveryMs: number;
  readonly heartbeatMs: number;
}

/**
 * `flow serve`: the HTTP API and event streams over the store, the web
 * app, and the loop that fires due timers, until Ctrl-C (or SIGTERM),
 * when what the server drives is stopped cleanly for `flow resume` or the
 * next `flow serve`.
 */
export async function serve(options: ServeOptions, io: CommandIo): Promise<number> {
  const tokens = ServeTokens.read();
  if (options.addToken !== undefined) {
    io.out(`${tokens.add(options.addToken, new Date().toISOString())}\n`);
    io.err(`a token for ${options.addToken}: shown this once (only its hash is kept, in ${tokens.file})\n`);
    return exitCodes.ok;
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new UsageError(`--port ${options.port} is not a port`, { hint: "0 to 65535 (0: any free port)" });
  const signer = serverSigner(options.key);
  const store = await openRunStore(options.store, { create: true });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      store,
      host: options.host,
      port: options.port,
      tokens,
      signer,
      runnerKey: () => runnerKey(),
      approvers: () => readProjectConfig().approvers,
      driverOptions: () => driverOptions(store, { parkAfterMs: options.parkAfterMs }),
      clock: () => Date.now(),
      staticDir: options.staticDir ?? defaultStaticDir(),
      projectRoot: process.cwd(),
      tickEveryMs: options.tickEveryMs,
      streams: { pollMs: 250, heartbeatMs: options.heartbeatMs },
      log: (line) => io.err(`${line}\n`),
    });
  } catch (error) {
    await store.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new UsageError(`${options.host}:${options.port} is in use`, { hint: "`--port` another port, or 0 for any free one" });
    throw error;
  }

  io.err(`flow serve: ${server.url}/ (the API under /api/; the ${store.kind} store)${isLoopback(options.host) ? "" : "; beyond loopback, every request needs a token"}\n`);
  io.err(`the runs: ${server.url}/runs.html · the playground: ${server.url}/\n`);
  if (tokens.size === 0) {
    const holder = options.holder ?? defaultKeyName();
    const token = tokens.add(holder, new Date().toISOString());
    io.err(`a token for ${holder}, shown this once (only its hash is kept, in ${tokens.file}); send it as \`Authorization: Bearer TOKEN\`:\n`);
    io.out(`${token}\n`);
    if (!isLoopback(options.host)) io.err(`open the runs in a browser as ${server.url}/runs.html?token=${token}\n`);
  } else if (!isLoopback(options.host)) {
    io.err(`open the runs in a browser as ${server.url}/runs.html?token=TOKEN (the page keeps the token; a cookie lets it load its files)\n`);
  }
  const trusted = readProjectConfig().approvers.find((a) => a.key === signer.key);
  io.err(
    trusted === undefined
      ? `decisions are signed with ${signer.source === "runner" ? "the project's runner key" : `your key ${signer.name}`} (${keyFingerprint(signer.key)}…), which this project does not trust yet: \`flow keys trust flow-serve ${signer.key}\` lets its gates take them\n`
      : `decisions are signed with ${signer.source === "runner" ? "the project's runner key" : `your key ${signer.name}`}, trusted here as ${trusted.name}\n`,
  );

  await new Promise<void>((done) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      done();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  io.err("flow serve: stopping\n");
  try {
    await server.close();
  } finally {
    await store.close();
  }
  return exitCodes.ok;
}

/** `dist/playground` beside the bundle (the launcher says where dist is), or beside the sources when run from them. */
function defaultStaticDir(): string {
  const dist = process.env["FLOW_DIST"];
  if (dist !== undefined && dist !== "") return join(dist, "playground");
  return fileURLToPath(new URL("../../dist/playground/", import.meta.url));
}
