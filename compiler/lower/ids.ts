/**
 * Ids from names and positions, never random: the first use of a name is
 * the name itself, later ones `name#2`, `name#3`… in source order. So an id
 * changes only when something before it with the same name is added or
 * removed, and an edit elsewhere in the file (a comment, a new node) leaves
 * it as it was.
 */
export class Ids {
  private readonly counts = new Map<string, number>();

  next(name: string): string {
    const count = (this.counts.get(name) ?? 0) + 1;
    this.counts.set(name, count);
    return count === 1 ? name : `${name}#${count}`;
  }
}

/**
 * Names of declarations from several files in one namespace: a name
 * declared in one file is itself; declared again in another file (two
 * files may each have a `type Release`), the later ones in load order are
 * `Release-2`, `Release-3`… A `-` cannot be part of a flow name, so these
 * never meet a declared one.
 */
export class DeclarationNames<K> {
  private readonly assigned = new Map<K, string>();
  private readonly counts = new Map<string, number>();

  claim(key: K, name: string): string {
    const known = this.assigned.get(key);
    if (known !== undefined) return known;
    const count = (this.counts.get(name) ?? 0) + 1;
    this.counts.set(name, count);
    const id = count === 1 ? name : `${name}-${count}`;
    this.assigned.set(key, id);
    return id;
  }

  get(key: K): string | undefined {
    return this.assigned.get(key);
  }
}
