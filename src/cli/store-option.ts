import { loadConfig } from "../ops/config.js";

/**
 * Which store the command and the nodes it starts use, made KEEL_STORE, which every store opener
 * reads: --store, else KEEL_STORE, else `store.url` of keel.yaml (KEEL_STORE_URL), else none (the
 * SQLite file in the home folder).
 */
export function applyStoreOption(opts: { store?: string; config?: string }): void {
  const url = opts.store || process.env.KEEL_STORE || configuredStore(opts.config);
  if (url) process.env.KEEL_STORE = url;
}

function configuredStore(file: string | undefined): string | undefined {
  try {
    return loadConfig(file).store.url;
  } catch {
    // a bad config file is the command's to report, with its line and key
    return undefined;
  }
}
