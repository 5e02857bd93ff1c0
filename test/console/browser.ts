import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { existsSync } from "node:fs";

/**
 * Debian's chromium driven by playwright-core. Missing chromium fails the suite with the command
 * that installs it: a skipped browser test would hide a broken console.
 */
export const chromiumPath = process.env.KEEL_CHROMIUM ?? "/usr/bin/chromium";

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath))
    throw new Error(
      `no chromium at ${chromiumPath}: install it (apt-get install -y --no-install-recommends chromium) or set KEEL_CHROMIUM; .ci/run installs it`,
    );
  return chromium.launch({
    executablePath: chromiumPath,
    // the flags keep chromium from reaching for the network on start (this machine has none)
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export async function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1280, height: 860 }, reducedMotion: "reduce" });
}
