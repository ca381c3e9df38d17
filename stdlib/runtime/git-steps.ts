import { formatDuration } from "../../compiler/cost.ts";
import * as arg from "./arguments.ts";
import { step } from "./define.ts";
import { type Implementation, outOfMemory, StdFailure, type StepContext } from "./implementation.ts";

/**
 * std/sandbox's `git.diff`, `git.status` and `git.commit`: git run by a
 * shell in the work tree, bounded by the `cost` their declarations give
 * (stdlib/sandbox.flow), since that is what the budget analysis counted.
 * Git's failures (not a repository, a hook refusing) are `Failed` with
 * git's own words.
 */

/**
 * What `git.commit` would commit, against HEAD: staged, unstaged and
 * untracked changes alike (a codemod's new files are part of the change),
 * what `.gitignore` ignores left out. The step only reads: everything is
 * staged into a copy of the index, and the objects that creates are
 * written to a temporary directory, so neither the index nor the object
 * store changes (a tree without `fs.write` allows this).
 */
const diffScript = `set -e
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
index=$(git rev-parse --git-path index)
objects=$(cd "$(git rev-parse --git-path objects)" && pwd)
if [ -f "$index" ]; then cp "$index" "$tmp/index"; fi
mkdir "$tmp/objects"
export GIT_INDEX_FILE="$tmp/index" GIT_OBJECT_DIRECTORY="$tmp/objects" GIT_ALTERNATE_OBJECT_DIRECTORIES="$objects"
git add --all
git diff --cached --no-color --no-ext-diff`;

const statusScript = "git status --porcelain";

/**
 * Exactly once: the commit carries a `Flow-Step: <step id>` trailer, and a
 * re-run after a crash that finds HEAD carrying its own id returns HEAD
 * instead of committing again. The message travels in the environment, so
 * no quoting can break it, and is kept as written: `--trailer` would take
 * a line starting with `#` for a comment and put the trailer above it, so
 * the comment character is one no message starts a line with. The author is git's configured identity, or
 * `flow <flow@localhost>` where there is none (a fresh sandbox).
 */
const commitScript = `set -e
if [ "$(git log -1 --format='%(trailers:key=Flow-Step,valueonly)' 2>/dev/null)" = "$FLOW_STEP_ID" ]; then
  git rev-parse HEAD
  exit 0
fi
git config user.name >/dev/null || export GIT_AUTHOR_NAME=flow GIT_COMMITTER_NAME=flow
git config user.email >/dev/null || export GIT_AUTHOR_EMAIL=flow@localhost GIT_COMMITTER_EMAIL=flow@localhost
git add --all
if git diff --cached --quiet; then
  echo "nothing to commit: the work tree has no changes against HEAD" >&2
  exit 1
fi
printf '%s\\n' "$FLOW_COMMIT_MESSAGE" | git -c core.commentChar="$(printf '\\001')" commit --quiet --cleanup=whitespace --trailer "Flow-Step: $FLOW_STEP_ID" --file=-
git rev-parse HEAD`;

export const gitImplementations: Readonly<Record<string, Implementation>> = {
  "git.diff": step({ idempotent: true, run: (context) => git(context, "git.diff", diffScript, 30_000) }),
  "git.status": step({ idempotent: true, run: (context) => git(context, "git.status", statusScript, 30_000) }),
  // Idempotent through its trailer (above).
  "git.commit": step({
    idempotent: true,
    run: async (context, args) => (await git(context, "git.commit", commitScript, 60_000, { FLOW_COMMIT_MESSAGE: arg.string(args, "message") })).trim(),
  }),
};

async function git(context: StepContext, op: string, script: string, timeoutMs: number, env: Record<string, string> = {}): Promise<string> {
  // No optional locks: reading the status must not rewrite the index under another process.
  const result = await context.session.exec(script, { timeoutMs, env: { ...env, FLOW_STEP_ID: context.stepId, GIT_OPTIONAL_LOCKS: "0" }, signal: context.signal });
  if (result.timedOut) throw new StdFailure("Timeout", `\`${op}\` did not finish within ${formatDuration(timeoutMs)}`);
  if (result.outOfMemory) throw new StdFailure("Failed", outOfMemory(`\`${op}\``));
  if (result.exit !== 0) throw new StdFailure("Failed", `\`${op}\` failed: ${result.stderr.trim() || `git exited with ${result.exit}`}`);
  return result.stdout;
}
