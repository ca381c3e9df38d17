import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { StepContext } from "../stdlib/runtime/implementation.ts";
import { failureOf, processContext, runStep, TempDirs } from "./support/std-runtime.ts";

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", env: { PATH: process.env.PATH ?? "", HOME: cwd, LANG: "C.UTF-8" } });
}

/** A work tree with a repository: one commit of `tracked.txt` and `gone.txt`, and `.gitignore` ignoring `*.log`. */
async function repository(stepId?: string): Promise<StepContext> {
  const context = await processContext(dirs, stepId);
  const tree = context.session.workTree;
  git(tree, "init", "--quiet", "--initial-branch=main");
  git(tree, "config", "user.name", "Test Person");
  git(tree, "config", "user.email", "test@example.com");
  await context.session.writeFile("tracked.txt", "one\ntwo\n");
  await context.session.writeFile("gone.txt", "bye\n");
  await context.session.writeFile(".gitignore", "*.log\n");
  git(tree, "add", "--all");
  git(tree, "commit", "--quiet", "-m", "initial");
  return context;
}

/** What git keeps that a read must not change: the index, and every object file. */
function gitState(tree: string): string {
  const objects = readdirSync(join(tree, ".git", "objects"), { recursive: true }).map(String).sort();
  return `${git(tree, "ls-files", "--stage")}${objects.join("\n")}`;
}

const step = async (context: StepContext, name: string, args: Record<string, string> = {}) => (await runStep("std/sandbox", name, context, args)).value;

describe("std/sandbox git steps", () => {
  it("git.status is git status --porcelain: empty when clean", async () => {
    const context = await repository();
    expect(await step(context, "git.status")).toBe("");
    await context.session.writeFile("tracked.txt", "one\n");
    await context.session.writeFile("new.txt", "new\n");
    await context.session.writeFile("debug.log", "ignored\n");
    expect(await step(context, "git.status")).toBe(" M tracked.txt\n?? new.txt\n");
  });

  it("git.diff shows staged, unstaged, deleted and new files against HEAD, and changes nothing", async () => {
    const context = await repository();
    const tree = context.session.workTree;
    expect(await step(context, "git.diff")).toBe("");
    await context.session.writeFile("tracked.txt", "one\n2\n");
    await context.session.writeFile("new.txt", "fresh\n");
    await context.session.writeFile("staged.txt", "staged\n");
    await context.session.writeFile("debug.log", "ignored\n");
    git(tree, "add", "staged.txt");
    git(tree, "rm", "--quiet", "gone.txt");
    const before = gitState(tree);
    const status = await step(context, "git.status");
    const diff = (await step(context, "git.diff")) as string;
    expect(diff.match(/^diff --git .*$/gm)).toEqual([
      "diff --git a/gone.txt b/gone.txt",
      "diff --git a/new.txt b/new.txt",
      "diff --git a/staged.txt b/staged.txt",
      "diff --git a/tracked.txt b/tracked.txt",
    ]);
    expect(diff).toContain("deleted file mode 100644");
    expect(diff).toContain("+fresh\n");
    expect(diff).toContain("-two\n+2\n");
    expect(diff).not.toContain("debug.log");
    expect(gitState(tree)).toBe(before);
    expect(await step(context, "git.status")).toBe(status);
  });

  it("git.diff works before the first commit", async () => {
    const context = await processContext(dirs);
    git(context.session.workTree, "init", "--quiet");
    await context.session.writeFile("a.txt", "a\n");
    expect(await step(context, "git.diff")).toContain("+++ b/a.txt\n@@ -0,0 +1 @@\n+a\n");
  });

  it("git.commit stages everything, commits with the step's trailer, and returns the hash", async () => {
    const context = await repository("c0".repeat(32));
    const tree = context.session.workTree;
    await context.session.writeFile("tracked.txt", "changed\n");
    await context.session.writeFile("new.txt", "new\n");
    const hash = await step(context, "git.commit", { message: "Migrate to turbo\n\n#42: the body keeps a line starting with #" });
    expect(hash).toMatch(/^[0-9a-f]{40}$/);
    expect(git(tree, "rev-parse", "HEAD").trim()).toBe(hash);
    expect(git(tree, "log", "-1", "--format=%B")).toBe(`Migrate to turbo\n\n#42: the body keeps a line starting with #\n\nFlow-Step: ${"c0".repeat(32)}\n\n`);
    expect(git(tree, "log", "-1", "--format=%an <%ae>")).toBe("Test Person <test@example.com>\n");
    expect(git(tree, "status", "--porcelain")).toBe("");
    expect(git(tree, "show", "--name-only", "--format=", "HEAD")).toBe("new.txt\ntracked.txt\n");
  });

  it("git.commit run again with the same step id returns the same commit instead of committing twice", async () => {
    const context = await repository("d1".repeat(32));
    const tree = context.session.workTree;
    await context.session.writeFile("tracked.txt", "changed\n");
    const first = await step(context, "git.commit", { message: "once" });
    // The crash window: the commit happened, its result was never recorded, and the tree changed since.
    await context.session.writeFile("later.txt", "later\n");
    const again = await step(context, "git.commit", { message: "once" });
    expect(again).toBe(first);
    expect(git(tree, "rev-list", "--count", "HEAD").trim()).toBe("2");
    // Another step commits anew.
    const other = await step({ ...context, stepId: "e2".repeat(32) }, "git.commit", { message: "twice" });
    expect(other).not.toBe(first);
    expect(git(tree, "rev-list", "--count", "HEAD").trim()).toBe("3");
  });

  it("git.commit fails when there is nothing to commit", async () => {
    const context = await repository();
    expect(await failureOf(runStep("std/sandbox", "git.commit", context, { message: "empty" }))).toEqual({
      kind: "Failed",
      message: "`git.commit` failed: nothing to commit: the work tree has no changes against HEAD",
    });
  });

  it("git.commit commits as flow where git has no identity", async () => {
    const context = await processContext(dirs);
    git(context.session.workTree, "init", "--quiet");
    await context.session.writeFile("a.txt", "a\n");
    // Commands inherit HOME: one without a ~/.gitconfig leaves git without an identity.
    const home = process.env.HOME;
    process.env.HOME = await dirs.make();
    try {
      const hash = (await step(context, "git.commit", { message: "first" })) as string;
      expect(git(context.session.workTree, "log", "-1", "--format=%an <%ae>|%cn", hash)).toBe("flow <flow@localhost>|flow\n");
    } finally {
      process.env.HOME = home;
    }
  });

  it("fails with git's words outside a repository", async () => {
    const context = await processContext(dirs);
    for (const name of ["git.status", "git.diff"]) {
      const failure = await failureOf(runStep("std/sandbox", name, context, {}));
      expect(failure.kind).toBe("Failed");
      expect(failure.message).toMatch(new RegExp(`^\`${name.replace(".", "\\.")}\` failed: .*not a git repository`));
    }
  });
});
