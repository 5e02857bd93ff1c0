import type { Store } from "../../store/store.js";
import { inspectStoreFile } from "../../store/files.js";
import { sqlitePathFor } from "../../store/home.js";
import type { LiveNodeState } from "../health/index.js";
import { readLivePid } from "../pidfile.js";
import { defaultDoctorSettings, type DoctorContext, type DoctorSettings } from "./types.js";

/**
 * What the checks look at. `store` is the store of whoever asks (the node's, or a read-only one
 * the CLI opened); it is withheld from the checks when the file is missing or damaged, so that
 * none of them reads an empty stand-in as "nothing wrong".
 */
export function doctorContext(options: {
  home: string;
  store: Store;
  live?: LiveNodeState;
  settings?: DoctorSettings;
  now?: number;
}): DoctorContext {
  const storeFile = sqlitePathFor({ home: options.home });
  const storeState = storeFile === null ? null : inspectStoreFile(storeFile);
  return {
    home: options.home,
    now: options.now ?? Date.now(),
    store: storeState === null || storeState.kind === "ok" ? options.store : null,
    storeFile,
    storeState,
    pid: readLivePid(options.home),
    live: options.live,
    settings: options.settings ?? defaultDoctorSettings,
  };
}
