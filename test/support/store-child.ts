/**
 * A separate process writing to a store, for test/store-conformance.test.ts:
 *   store-child.ts append-then-wait SPEC RUN COUNT   appends COUNT entries in one batch, prints "appended", then waits to be killed
 *   store-child.ts race SPEC RUN COUNT               appends COUNT entries one at a time against other writers, prints "conflicts N"
 * The test bundles it with esbuild and runs the bundle; `node --import tsx` runs it too, slower.
 */
import { openStore } from "../../interpreter/store/open-store.ts";
import { SeqConflict } from "../../interpreter/store/store.ts";
import { sealedEntries } from "./sealed-entries.ts";

const [mode, spec, run, countText] = process.argv.slice(2);
if (spec === undefined || run === undefined || countText === undefined)
  throw new Error("usage: store-child.ts append-then-wait|race SPEC RUN COUNT");
const count = Number(countText);
const store = await openStore(spec, process.cwd());
const headOf = async () => {
  const head = await store.head(run);
  if (head === null) throw new Error(`run ${run} has no entries`);
  return head;
};

if (mode === "append-then-wait") {
  await store.append(run, sealedEntries(run, await headOf(), count));
  process.stdout.write("appended\n");
  setInterval(() => {}, 60_000);
} else if (mode === "race") {
  let conflicts = 0;
  for (let written = 0; written < count;) {
    try {
      await store.append(
        run,
        sealedEntries(run, await headOf(), 1, (seq) => `process ${process.pid} entry ${seq}`),
      );
      written++;
    } catch (error) {
      if (!(error instanceof SeqConflict)) throw error;
      conflicts++;
    }
  }
  await store.close();
  process.stdout.write(`conflicts ${conflicts}\n`);
} else {
  throw new Error(`unknown mode ${mode}`);
}
