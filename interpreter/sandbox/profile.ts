import { z } from "zod";

/** The drivers a profile can name; `auto` is `bwrap` where bubblewrap works, `process` elsewhere. */
export const DriverName = z.enum(["process", "bwrap", "microvm"]);
export type DriverName = z.infer<typeof DriverName>;

/**
 * How much a driver isolates: `none` (the `process` driver: the checker's
 * word only), `namespaces` (`bwrap`: the host's kernel, namespaces, a
 * seccomp filter and cgroup limits) or `vm` (`microvm`: a kernel of its own).
 * Said in `flow run`'s output, in the ledger and in receipts.
 */
export const Isolation = z.enum(["none", "namespaces", "vm"]);
export type Isolation = z.infer<typeof Isolation>;

/**
 * A sandbox profile, as `flow.config.json` gives it under
 * `sandbox.profiles.NAME`, and a node picks with `sandbox "NAME"`. Every
 * field has a default, so `{}` is a profile: `auto`, 2 GiB, one core, 512
 * processes.
 */
export const SandboxProfile = z.strictObject({
  driver: z.union([DriverName, z.literal("auto")]).default("auto"),
  /**
   * The root the sandbox sees. `bwrap`: a directory laid out as a root file
   * system (a debootstrap tree), bound read-only; null binds the host's
   * /usr and /etc read-only. `microvm`: the guest image's directory; null
   * is the image `flow sandbox build` keeps in its cache.
   */
  base: z.string().min(1).nullable().default(null),
  /**
   * Host directories the sandbox may read, bound read-only at the same
   * path; relative ones are taken from the project directory (a repository
   * to clone from, a shared cache). The project's `.flow` directory is
   * never visible: its store and keys are the runner's.
   */
  share: z.array(z.string().min(1)).default([]),
  /** Memory of the sandbox (all its processes; a VM's RAM), in MiB. Past it, the command is killed. */
  memoryMb: z.int().min(16).max(1_048_576).default(2048),
  /** The CPU share, in cores: 0.5 is half of one core's time. */
  cpus: z.number().positive().max(1024).default(1),
  /** How many processes and threads may exist in the sandbox at once. */
  pids: z.int().min(8).max(1_000_000).default(512),
  /** The timeout of a command that gives none of its own (`sh` without `timeout:`); null: only the node's. */
  timeoutMs: z.int().positive().nullable().default(null),
  /**
   * Variables the sandbox's commands see besides PATH, HOME and the locale.
   * A value `$NAME` is taken from flow's own environment when the sandbox
   * starts (a token kept out of the repository); nothing else of it passes.
   */
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a variable's name"), z.string()).default({}),
});
export type SandboxProfile = z.infer<typeof SandboxProfile>;

/** `sandbox` in flow.config.json: the profiles, and which one a node without a `sandbox` clause gets. */
export const SandboxSettings = z
  .strictObject({
    default: z.string().min(1).default("default"),
    profiles: z.record(z.string().min(1), SandboxProfile).default({}),
  })
  .refine((settings) => settings.default === "default" || Object.hasOwn(settings.profiles, settings.default), {
    message: "names a profile that `profiles` does not define",
    path: ["default"],
  });
export type SandboxSettings = z.infer<typeof SandboxSettings>;

/** A profile as a request carries it: its settings, its name, and the driver it resolved to. */
export interface ResolvedProfile extends Omit<SandboxProfile, "driver"> {
  readonly name: string;
  readonly driver: DriverName;
}

/**
 * The profile `default` is when the project does not define it: `auto`,
 * and the project directory shared read-only (a workflow clones or reads
 * the repository it lives in; `.flow` stays hidden).
 */
export const builtInProfile: SandboxProfile = SandboxProfile.parse({ share: ["."] });

/** The settings of a project that gives none. */
export const noSandboxSettings: SandboxSettings = { default: "default", profiles: {} };

/** The profile `name` names (null: the project's default), or undefined when the project defines none by that name. */
export function findProfile(settings: SandboxSettings, name: string | null): SandboxProfile | undefined {
  const wanted = name ?? settings.default;
  // Own names only: a node's `sandbox "constructor"` must not find Object's.
  if (Object.hasOwn(settings.profiles, wanted)) return settings.profiles[wanted];
  return wanted === "default" ? builtInProfile : undefined;
}
