import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium, headless, as issue 8 gives the flags: no sandbox of its own (tests run as root), nothing fetched or synced behind the test's back. */
export const chromiumArgs = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: chromiumArgs });
}
