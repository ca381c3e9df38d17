import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

/**
 * A throwaway PostgreSQL cluster for tests, as ../shared/scripts/pg-throwaway
 * starts one: initdb into a temporary directory (as the `postgres` OS user
 * when running as root, since initdb refuses root), a unix socket in that
 * directory and no TCP, fsync on. Start one per test file (~1 s).
 */
export interface PgThrowaway {
  /** The connection string of its `postgres` database, parameters included (`&name=value` adds more). */
  readonly url: string;
  stop(): Promise<void>;
}

const postgresRoot = "/usr/lib/postgresql";

export async function startPgThrowaway(): Promise<PgThrowaway> {
  const bin = serverBinaries();
  const dir = mkdtempSync(join(tmpdir(), "flow-pg-"));
  const data = join(dir, "data");
  const asRoot = userInfo().uid === 0;
  const run = (command: string, args: readonly string[]) =>
    execFileSync(
      asRoot ? "runuser" : join(bin, command),
      asRoot ? ["-u", "postgres", "--", join(bin, command), ...args] : [...args],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
  // The server writes its socket here as `postgres`.
  chmodSync(dir, 0o1777);
  mkdirSync(data, { mode: 0o700 });
  if (asRoot) chownSync(data, postgresUid(), postgresGid());
  const port = await freePort();
  try {
    // --no-sync skips flushing the files initdb writes, which matter only if the machine crashes; the server itself runs with fsync on.
    run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
    run("pg_ctl", ["-D", data, "-l", join(dir, "pg.log"), "-w", "-o", `-p ${port} -k ${dir} -c listen_addresses=''`, "start"]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `could not start a throwaway PostgreSQL in ${dir}: ${String((error as { stderr?: unknown }).stderr ?? error)}`,
    );
  }
  return {
    url: `postgres://postgres@/postgres?host=${encodeURIComponent(dir)}&port=${port}`,
    async stop() {
      try {
        run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The newest installed server's bin directory; fails, never skips, when there is none. */
function serverBinaries(): string {
  const versions = existsSync(postgresRoot)
    ? readdirSync(postgresRoot)
        .filter((version) => existsSync(join(postgresRoot, version, "bin", "initdb")))
        .sort((a, b) => Number(a) - Number(b))
    : [];
  const newest = versions.at(-1);
  if (newest === undefined) {
    throw new Error(
      `the PostgreSQL tests need a PostgreSQL server (initdb, pg_ctl), and there is none in ${postgresRoot}/*/bin. ` +
        "`.ci/run` installs it (the Debian `postgresql` package); on this machine: apt-get install -y postgresql",
    );
  }
  return join(postgresRoot, newest, "bin");
}

function postgresUid(): number {
  return Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
}

function postgresGid(): number {
  return Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
}

/** A TCP port nothing listens on: the server uses it only to name its socket, but it also keys its shared memory by it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
