/**
 * JSON Patch (RFC 6902): `add`, `remove`, `replace`, `move`, `copy` and
 * `test`, applied to a copy of the document. Paths are JSON pointers (RFC
 * 6901); `-` appends to an array. A patch that does not apply (a missing
 * member, a failed `test`) throws, naming the operation.
 */
export type PatchOperation =
  | { readonly op: "add" | "replace" | "test"; readonly path: string; readonly value: unknown }
  | { readonly op: "remove"; readonly path: string }
  | { readonly op: "move" | "copy"; readonly from: string; readonly path: string };

export function applyPatch<T>(document: T, patch: readonly PatchOperation[]): T {
  let root: unknown = structuredClone(document);
  patch.forEach((operation, i) => {
    const fail = (why: string): never => {
      throw new Error(`patch operation ${i} (${operation.op} ${operation.path}): ${why}`);
    };
    const tokens = parsePointer(operation.path, fail);
    const get = (path: readonly string[]): unknown => {
      let at: unknown = root;
      for (const token of path) {
        if (Array.isArray(at)) at = at[arrayIndex(token, at.length - 1, fail)];
        else if (isObject(at) && Object.hasOwn(at, token)) at = at[token];
        else fail(`\`${token}\` is not in the document`);
      }
      return at;
    };
    const put = (path: readonly string[], value: unknown, mode: "add" | "replace"): void => {
      if (path.length === 0) {
        root = value;
        return;
      }
      const parent = get(path.slice(0, -1));
      const last = path[path.length - 1]!;
      if (Array.isArray(parent)) {
        if (mode === "add") parent.splice(last === "-" ? parent.length : arrayIndex(last, parent.length, fail), 0, value);
        else parent[arrayIndex(last, parent.length - 1, fail)] = value;
      } else if (isObject(parent)) {
        if (mode === "replace" && !Object.hasOwn(parent, last)) fail(`\`${last}\` is not there to replace`);
        parent[last] = value;
      } else fail("the parent is not an object or an array");
    };
    const remove = (path: readonly string[]): unknown => {
      const parent = get(path.slice(0, -1));
      const last = path[path.length - 1];
      if (last === undefined) return fail("the whole document cannot be removed");
      if (Array.isArray(parent)) return parent.splice(arrayIndex(last, parent.length - 1, fail), 1)[0];
      if (isObject(parent) && Object.hasOwn(parent, last)) {
        const value = parent[last];
        delete parent[last];
        return value;
      }
      return fail(`\`${last}\` is not there to remove`);
    };
    switch (operation.op) {
      case "add":
        put(tokens, structuredClone(operation.value), "add");
        break;
      case "replace":
        put(tokens, structuredClone(operation.value), "replace");
        break;
      case "remove":
        remove(tokens);
        break;
      case "test":
        if (JSON.stringify(sorted(get(tokens))) !== JSON.stringify(sorted(operation.value))) fail("the value is not the one tested for");
        break;
      case "move":
        put(tokens, remove(parsePointer(operation.from, fail)), "add");
        break;
      case "copy":
        put(tokens, structuredClone(get(parsePointer(operation.from, fail))), "add");
        break;
    }
  });
  return root as T;
}

function parsePointer(pointer: string, fail: (why: string) => never): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) fail(`\`${pointer}\` is not a JSON pointer`);
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function arrayIndex(token: string, last: number, fail: (why: string) => never): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token) || Number(token) > last) fail(`\`${token}\` is not an index of the array`);
  return Number(token);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (isObject(value)) return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sorted(value[k])]));
  return value;
}
