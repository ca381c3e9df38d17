/**
 * The `bwrap` command line for one command of a sandbox: what it sees of
 * the host, what it may write, whether it has a network and may start
 * processes. Pure: bwrap.ts supplies the facts of this host (which of /bin
 * and /lib are links) and runs it.
 *
 * The layout inside:
 * - `/usr` and the links or directories around it, and an allow-list of
 *   `/etc` (no shadow files, no ssh keys, no sudoers), read-only; or a
 *   profile's own root (`base`), read-only;
 * - each shared host path, read-only, at its own path, with the project's
 *   `.flow` (its store and keys) hidden under an empty tmpfs;
 * - the work tree at `/flow/work`, writable with `fs.write`, read-only with
 *   `fs.read`, an empty tmpfs with neither; paths a command prints are the
 *   same on every machine;
 * - a private `/tmp`, `/proc` and `/dev`, and nothing else writable (the
 *   root is remounted read-only); every namespace unshared (the
 *   network too, unless `net`), no capabilities, a new session, killed
 *   with flow; an environment of nothing but what is set here.
 */
/** A root's top-level entries: links (`bin` → `usr/bin`) and directories or files to bind read-only, under `dir`. */
export interface RootLayout {
  readonly kind: "host" | "base";
  readonly dir: string;
  readonly links: readonly (readonly [string, string])[];
  readonly binds: readonly string[];
}

/** Top-level names bwrap mounts itself (or flow does, the tree's parent): a root's own are not bound over them. */
export const mountedBySandbox: ReadonlySet<string> = new Set(["proc", "dev", "tmp", "flow"]);

export interface BwrapPlan {
  /** The work tree's real path on the host. */
  readonly tree: string;
  readonly treeAccess: "write" | "read" | "none";
  readonly net: boolean;
  /**
   * The root: the host's (its /usr, the entries that lead into it, and the
   * /etc view), or a profile's own `base` directory. Either way its
   * top-level entries are bound one by one onto bwrap's empty root, which
   * then has room for the mount points of /proc, /dev, /tmp and the tree.
   */
  readonly root: RootLayout;
  /** A directory holding the allow-listed entries of the host's /etc (etc-view.ts), bound as /etc. */
  readonly etc: string;
  /** Absolute host paths shared read-only. */
  readonly shares: readonly string[];
  /** Absolute paths hidden under an empty tmpfs (inside a share). */
  readonly hidden: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** The descriptor bwrap reads a seccomp filter from, or null for none. */
  readonly seccompFd: number | null;
  /** The descriptor bwrap writes its JSON status lines to, or null for none. */
  readonly statusFd: number | null;
  /**
   * What the sandbox runs: one command (`/bin/sh -c`), or the session's
   * agent, which runs each command the host sends it: its argv, or none
   * where bwrap's own command line names it after these arguments (a
   * launcher's `bwrap --args`, session-agent.ts).
   */
  readonly run: { readonly command: string } | { readonly agent: readonly string[] };
}

/** What a sandbox is given of the host's /etc: what programs need to run, resolve names and trust certificates; no secrets. */
export const etcAllowList: readonly string[] = [
  "alternatives",
  "ca-certificates",
  "ca-certificates.conf",
  "gai.conf",
  "gitconfig",
  "group",
  "host.conf",
  "hosts",
  "ld.so.cache",
  "ld.so.conf",
  "ld.so.conf.d",
  "localtime",
  "mime.types",
  "nsswitch.conf",
  "os-release",
  "passwd",
  "protocols",
  "resolv.conf",
  "services",
  "ssl",
  "timezone",
];

/** Where the work tree is inside the sandbox: a path no project is likely to live at, since shares keep their host paths. */
export const sandboxWorkTree = "/flow/work";

export function bwrapArguments(plan: BwrapPlan): string[] {
  const args: string[] = [];
  const { root } = plan;
  for (const [name, target] of root.links) args.push("--symlink", target, `/${name}`);
  for (const name of root.binds) args.push("--ro-bind", `${root.dir === "/" ? "" : root.dir}/${name}`, `/${name}`);
  if (root.kind === "host") args.push("--ro-bind", plan.etc, "/etc");
  // /tmp before the shares, so that a share under /tmp (a test's, a cache's) is bound onto it rather than hidden by it.
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp");
  for (const share of plan.shares) args.push("--ro-bind", share, share);
  for (const hidden of plan.hidden) args.push("--tmpfs", hidden);
  switch (plan.treeAccess) {
    case "write":
      args.push("--bind", plan.tree, sandboxWorkTree);
      break;
    case "read":
      args.push("--ro-bind", plan.tree, sandboxWorkTree);
      break;
    case "none":
      args.push("--tmpfs", sandboxWorkTree);
      break;
  }
  // The root bwrap builds is a tmpfs: read-only once everything is mounted on it, so /etc and / cannot be written either.
  args.push("--remount-ro", "/", "--chdir", sandboxWorkTree);
  args.push("--unshare-all", ...(plan.net ? ["--share-net"] : []), "--hostname", "flow-sandbox");
  args.push("--cap-drop", "ALL", "--die-with-parent", "--new-session", "--clearenv");
  for (const [name, value] of Object.entries(plan.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) args.push("--setenv", name, value);
  if (plan.seccompFd !== null) args.push("--seccomp", String(plan.seccompFd));
  if (plan.statusFd !== null) args.push("--json-status-fd", String(plan.statusFd));
  // The agent is the pid namespace's init, not a child of bwrap's: no process of the sandbox but it holds the pipes to the host, and a command cannot kill it (init takes no signal it does not handle from inside).
  if ("agent" in plan.run) args.push("--as-pid-1", ...plan.run.agent);
  else args.push("/bin/sh", "-c", plan.run.command);
  return args;
}
