import type { Effect } from "../../compiler/ir/effect.ts";
import type { SandboxUse } from "../ledger/entry.ts";
import { type DriverName, findProfile, noSandboxSettings, type ResolvedProfile, type SandboxSettings } from "./profile.ts";
import type { SandboxDriver } from "./sandbox.ts";
import type { Unit } from "../../compiler/ir/unit.ts";

/** A unit names a profile the project does not define. */
export class UnknownProfile extends Error {
  constructor(
    readonly profile: string,
    readonly unit: string,
  ) {
    super(`\`${unit}\` asks for sandbox profile "${profile}", which the project does not define`);
    this.name = "UnknownProfile";
  }
}

/** A run's nodes cannot all have their sandboxes here: an undefined profile, a driver this machine lacks. Said before anything runs. */
export class SandboxUnavailable extends Error {
  constructor(
    readonly problems: readonly string[],
    readonly hint: string,
  ) {
    super(problems.length === 1 ? (problems[0] as string) : `the run's sandboxes are not all available:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "SandboxUnavailable";
  }
}

/**
 * The project's sandboxes: which driver and settings each profile means.
 * A node's `sandbox "NAME"` (or the project's default) picks a profile;
 * the profile names a driver, `auto` meaning `auto` here (bwrap where it
 * works); `flow run --sandbox DRIVER` puts every profile on one driver.
 */
export class Sandboxes {
  constructor(
    private readonly settings: SandboxSettings,
    private readonly drivers: Readonly<Record<DriverName, () => SandboxDriver>>,
    /** `auto`: asked the first time a profile says `auto`, since it probes the machine. */
    private readonly choice: { readonly auto: () => DriverName; readonly override: DriverName | null },
  ) {}

  /** Every profile on one driver, with default settings: tests, benchmarks, and the process driver's stand-ins. */
  static only(driver: SandboxDriver): Sandboxes {
    const one = () => driver;
    return new Sandboxes(noSandboxSettings, { process: one, bwrap: one, microvm: one }, { auto: () => driver.name, override: driver.name });
  }

  /** These sandboxes with every profile on `driver` (a run started with `--sandbox`), unless they are on one already. */
  forRun(driver: DriverName | undefined): Sandboxes {
    if (driver === undefined || this.choice.override !== null) return this;
    return new Sandboxes(this.settings, this.drivers, { ...this.choice, override: driver });
  }

  /** The driver and profile for a unit's `sandbox` clause (null: the project's default). */
  resolve(name: string | null, unit: string): { readonly driver: SandboxDriver; readonly profile: ResolvedProfile } {
    const wanted = name ?? this.settings.default;
    const profile = findProfile(this.settings, name);
    if (profile === undefined) throw new UnknownProfile(wanted, unit);
    const driverName = this.choice.override ?? (profile.driver === "auto" ? this.choice.auto() : profile.driver);
    const driver = this.drivers[driverName]();
    // The built-in default shares the project where it can; a profile the project wrote says what it needs.
    const builtIn = !Object.hasOwn(this.settings.profiles, wanted);
    if (!driver.sharesHostPaths && profile.share.length > 0) {
      if (!builtIn) throw new Error(`sandbox profile "${wanted}" shares ${profile.share.join(", ")}, which the ${driverName} driver cannot share`);
      return { driver, profile: { ...profile, share: [], name: wanted, driver: driverName } };
    }
    return { driver, profile: { ...profile, name: wanted, driver: driverName } };
  }

  /** How a vertex of `unit` runs, for the ledger. */
  use(name: string | null, unit: string, effects: readonly Effect[]): SandboxUse {
    const { driver, profile } = this.resolve(name, unit);
    return { driver: driver.name, isolation: driver.isolation, profile: profile.name, effects: effects.map(effectText) };
  }

  /**
   * Throws SandboxUnavailable unless every node can have its sandbox: its
   * profile defined, its driver usable here. Checked before a run starts
   * or is taken over, not at hour 19. Returns the drivers the nodes use.
   */
  check(units: Iterable<Unit>): Set<SandboxDriver> {
    const problems: string[] = [];
    const used = new Set<SandboxDriver>();
    for (const unit of units) {
      if (unit.kind !== "node") continue;
      try {
        used.add(this.resolve(unit.sandbox, unit.name).driver);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    const profiles = Object.keys(this.settings.profiles);
    if (problems.length > 0) {
      throw new SandboxUnavailable(problems, profiles.length === 0 ? "define profiles under `sandbox.profiles` in flow.config.json" : `flow.config.json defines: ${profiles.join(", ")}`);
    }
    return used;
  }
}

function effectText(effect: Effect): string {
  return effect.scope === null ? effect.name : `${effect.name}(${JSON.stringify(effect.scope)})`;
}
