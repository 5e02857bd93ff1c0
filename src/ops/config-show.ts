import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { ResolvedConfig } from "./config.js";

/** Keys whose values `keel config show` never prints. */
// headers (an exporter's or a webhook's) carry credentials: masked whole
const secretKeyPattern = /token|secret|password|key$|^headers$/i;
export const maskedValue = "********";

/** A deep copy with every value under a secret-looking key replaced by "********". */
export function maskSecrets(value: unknown, key = ""): unknown {
  if (key && secretKeyPattern.test(key) && value !== undefined && value !== null)
    return maskedValue;
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, maskSecrets(v, k)]),
    );
  return value;
}

export type ConfigSource = "default" | "file" | "env";

/** The effective config, masked, and where each top-level key's value came from. */
export interface EffectiveConfig {
  file: string | null;
  config: Record<string, unknown>;
  origins: Record<string, ConfigSource>;
}

export function effectiveConfig(
  config: ResolvedConfig,
  fileKeys: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): EffectiveConfig {
  const { file, pipelineModules: _modules, ...values } = config;
  const origins: Record<string, ConfigSource> = {};
  for (const key of Object.keys(values)) {
    const prefix = `KEEL_${key.toUpperCase()}`;
    // KEEL_HOME and KEEL_PIPELINES name a key; KEEL_<SECTION>_<KEY> a key of a section
    const fromEnv = Object.keys(env).some(
      (name) =>
        env[name] !== undefined &&
        (typeof values[key as keyof typeof values] === "object" &&
        !Array.isArray(values[key as keyof typeof values])
          ? name.startsWith(`${prefix}_`)
          : name === prefix),
    );
    origins[key] = fromEnv ? "env" : fileKeys.includes(key) ? "file" : "default";
  }
  const masked = maskSecrets(values) as Record<string, unknown>;
  return { file, config: { ...masked, alerts: maskReceiverUrls(masked.alerts) }, origins };
}

/**
 * A webhook's URL may be its credential (an incoming-webhook URL carries its token in the path):
 * shown as its origin only.
 */
function maskReceiverUrls(alerts: unknown): unknown {
  const receivers = (alerts as { receivers?: Record<string, { url?: string }> } | undefined)
    ?.receivers;
  if (!receivers) return alerts;
  const shown = Object.fromEntries(
    Object.entries(receivers).map(([name, r]) => {
      let url = maskedValue;
      try {
        url = `${new URL(String(r.url)).origin}/${maskedValue}`;
      } catch {
        // not a URL: shown masked whole
      }
      return [name, { ...r, url }];
    }),
  );
  return { ...(alerts as object), receivers: shown };
}

/** The top-level keys a config file sets (the file already passed loadConfig). */
export function configFileKeys(file: string | null): string[] {
  if (!file) return [];
  const value = parse(readFileSync(file, "utf8")) as unknown;
  return value !== null && typeof value === "object" ? Object.keys(value) : [];
}
