import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { processEnded, processStat } from "../interpreter/sandbox/process-state.ts";

describe("whether a process has ended", () => {
  it("says a killed process its parent has not reaped (a zombie) has ended, though kill(pid, 0) still finds it", async () => {
    // `sleep 0`'s parent execs into `sleep 5`, which never reaps it: a zombie for five seconds.
    const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 5"], { stdio: ["ignore", "pipe", "ignore"] });
    const zombie = await new Promise<number>((resolve) => parent.stdout.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
    try {
      for (let i = 0; i < 100 && processStat(zombie)?.state !== "Z"; i++) await new Promise((r) => setTimeout(r, 20));
      expect(processStat(zombie)?.state).toBe("Z");
      expect(() => process.kill(zombie, 0)).not.toThrow();
      expect(processEnded(zombie)).toBe(true);
      expect(processEnded(parent.pid!)).toBe(false);
      expect(processEnded(process.pid)).toBe(false);
    } finally {
      parent.kill("SIGKILL");
    }
    await new Promise((resolve) => parent.once("exit", resolve));
    expect(processEnded(zombie)).toBe(true);
    expect(processStat(2 ** 22 + 1)).toBeNull();
  });
});
