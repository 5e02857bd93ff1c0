import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { InvalidInputError } from "../../core/errors/definition-errors.js";
import type { AlertLabels } from "../../store/alerts.js";
import type { AlertsConfig } from "./alert-config.js";
import type { AlertSeverity } from "./rule-defaults.js";

/**
 * Webhook receivers with their secrets read: from the environment variable or the file keel.yaml
 * names, once at start. The secret stays in this object: it is never logged nor stored.
 */
export interface Receiver {
  name: string;
  url: string;
  format: "generic" | "slack";
  severities: readonly AlertSeverity[] | null;
  match: AlertLabels;
  timeoutMs: number;
  /** where the secret came from, for messages: `env KEEL_HOOK_SECRET` or `file /etc/...` */
  secretSource: string;
  readonly secret: string;
}

export function resolveReceivers(
  config: Pick<AlertsConfig, "receivers">,
  configFile: string | null,
  env: NodeJS.ProcessEnv = process.env,
  /** false: a secret that cannot be read is left empty (a command that only queues, not a node) */
  requireSecrets = true,
): Receiver[] {
  return Object.entries(config.receivers).map(([name, r]) => {
    let secret: string | undefined;
    let secretSource: string;
    if (r.secret_env !== undefined) {
      secretSource = `environment variable ${r.secret_env}`;
      secret = env[r.secret_env];
    } else {
      const file = resolve(configFile ? dirname(configFile) : ".", r.secret_file ?? "");
      secretSource = `file ${file}`;
      try {
        secret = readFileSync(file, "utf8").trim();
      } catch (error) {
        if (!requireSecrets) secret = "";
        else
          throw new InvalidInputError(
            `alerts.receivers.${name}.secret_file: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "error"}); put the receiver's HMAC secret there`,
            { key: `alerts.receivers.${name}.secret_file` },
          );
      }
    }
    if (!secret && requireSecrets)
      throw new InvalidInputError(
        `alerts.receivers.${name}: the HMAC secret from ${secretSource} is empty or unset; set it before starting the node`,
        { key: `alerts.receivers.${name}` },
      );
    return {
      name,
      url: r.url,
      format: r.format,
      severities: r.severities ?? null,
      match: r.match ?? {},
      timeoutMs: r.timeout_ms,
      secretSource,
      secret: secret ?? "",
    };
  });
}

/** the receivers an alert of this severity and these labels goes to */
export function routeAlert(
  receivers: readonly Receiver[],
  severity: string,
  labels: AlertLabels,
): Receiver[] {
  return receivers.filter(
    (r) =>
      (r.severities === null || (r.severities as readonly string[]).includes(severity)) &&
      Object.entries(r.match).every(([k, v]) => labels[k] === v),
  );
}
