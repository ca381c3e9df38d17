/**
 * Effects (LANGUAGE.md §8, grammar.md §9): what a unit of work may touch.
 * An effect is held whole (`fs.write`, `net`) or limited to scopes
 * (`fs.write("pkgs/**")`, `net("registry.npmjs.org")`): a glob of paths for
 * the file system, a host for the network.
 */

/** Every effect, in the order they are printed. */
export const effectNames = ["fs.read", "fs.write", "proc", "net", "llm", "clock"] as const;

export type EffectName = (typeof effectNames)[number];

/** The effects that take a scope: a glob of paths (`fs.read`, `fs.write`) or a host (`net`). */
export const scopedEffects: ReadonlySet<EffectName> = new Set<EffectName>(["fs.read", "fs.write", "net"]);

export function isEffectName(name: string): name is EffectName {
  return (effectNames as readonly string[]).includes(name);
}

/** One effect: `proc`, `fs.write("pkgs/**")`. A null scope is the whole effect. */
export interface Effect {
  readonly name: EffectName;
  readonly scope: string | null;
}

/** As written in a clause: `proc`, `net("github.com")`. */
export function showEffect(effect: Effect): string {
  return effect.scope === null ? effect.name : `${effect.name}(${JSON.stringify(effect.scope)})`;
}

/** `fs.read`, `fs.read` and `proc`, `fs.read`, `fs.write` and `proc`: effects in backquotes, for messages. */
export function listEffects(effects: readonly Effect[]): string {
  const shown = effects.map((e) => `\`${showEffect(e)}\``);
  return shown.length <= 1 ? (shown[0] ?? "nothing") : `${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]}`;
}

/** What one effect holds: all of it, or only these scopes. */
type Extent = "all" | ReadonlySet<string>;

/**
 * An immutable set of effects. A whole effect absorbs its scopes: `net`
 * with `net("github.com")` is `net`. `fs.write` implies `fs.read` (writing a
 * tree needs reading it), for the whole effect and scope by scope.
 *
 * Two questions are asked of a set, and they differ only for unscoped
 * effects:
 * - `covers`: does it allow everything `effect` allows? Declarations are
 *   compared this way: a workflow granting `net("a.com")` does not cover a
 *   node declaring `net`.
 * - `coversSome`: does it allow some use of `effect`? A step call is
 *   compared this way: `http.get` needs `net`, and a node declaring
 *   `net("a.com")` may call it; the sandbox enforces the scope at run time.
 */
export class EffectSet implements Iterable<Effect> {
  static readonly empty = new EffectSet(new Map());

  static of(effects: Iterable<Effect>): EffectSet {
    return EffectSet.empty.union(effects);
  }

  private constructor(private readonly extents: ReadonlyMap<EffectName, Extent>) {}

  get isEmpty(): boolean {
    return this.extents.size === 0;
  }

  /** Whether it holds `name`, whole or with any scope (not counting what `fs.write` implies). */
  has(name: EffectName): boolean {
    return this.extents.has(name);
  }

  union(effects: Iterable<Effect>): EffectSet {
    const extents = new Map(this.extents);
    for (const { name, scope } of effects) {
      const now = extents.get(name);
      if (now === "all") continue;
      if (scope === null) extents.set(name, "all");
      else extents.set(name, new Set([...(now ?? []), scope]));
    }
    return new EffectSet(extents);
  }

  covers(effect: Effect): boolean {
    const holds = (name: EffectName): boolean => {
      const extent = this.extents.get(name);
      if (extent === undefined) return false;
      if (extent === "all") return true;
      return effect.scope !== null && extent.has(effect.scope);
    };
    return holds(effect.name) || (effect.name === "fs.read" && holds("fs.write"));
  }

  coversSome(effect: Effect): boolean {
    if (effect.scope !== null) return this.covers(effect);
    return this.extents.has(effect.name) || (effect.name === "fs.read" && this.extents.has("fs.write"));
  }

  /** The effects of `other` this set does not cover, in order. */
  missing(other: Iterable<Effect>): Effect[] {
    return [...other].filter((e) => !this.covers(e));
  }

  /** Whether `missing(other)` is empty, asked without listing `other`. */
  coversAll(other: EffectSet): boolean {
    for (const [name, extent] of other.extents) {
      if (extent === "all") {
        if (!this.covers({ name, scope: null })) return false;
      } else for (const scope of extent) if (!this.covers({ name, scope })) return false;
    }
    return true;
  }

  /** In the order of `effectNames`, a whole effect as one, scopes sorted. */
  *[Symbol.iterator](): Iterator<Effect> {
    for (const name of effectNames) {
      const extent = this.extents.get(name);
      if (extent === undefined) continue;
      if (extent === "all") yield { name, scope: null };
      else for (const scope of [...extent].sort()) yield { name, scope };
    }
  }

  /** `{ fs.read, net("github.com") }`, as in a clause. */
  toString(): string {
    const items = [...this].map(showEffect);
    return items.length === 0 ? "{}" : `{ ${items.join(", ")} }`;
  }
}
