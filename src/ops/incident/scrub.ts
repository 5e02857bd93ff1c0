import { redactPathText } from "../../engine/redact-paths.js";
import { maskSecrets, maskedValue } from "../config-show.js";

/**
 * What goes into an incident archive leaves no credential behind: values under secret-looking
 * keys are masked, as `keel config show` does; API tokens (`keel_<id>_<secret>`), bearer headers
 * and passwords in URLs are masked wherever they appear in text; with security.path_redaction,
 * absolute paths are cut to their file name, as in keel's own log.
 */
const tokenText = /\bkeel_[A-Za-z0-9]+_[A-Za-z0-9_-]+/g;
const bearer = /(bearer\s+)[^\s"']+/gi;
const urlPassword = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s"']+:)[^@\s"']+@/gi;

export function scrubText(text: string, redactPaths: boolean): string {
  const masked = text
    .replace(tokenText, maskedValue)
    .replace(bearer, `$1${maskedValue}`)
    .replace(urlPassword, `$1${maskedValue}@`);
  return redactPaths ? redactPathText(masked) : masked;
}

/** JSON data as a scrubbed, pretty text file */
export function scrubJson(value: unknown, redactPaths: boolean): string {
  return `${scrubText(JSON.stringify(maskSecrets(value), null, 2), redactPaths)}\n`;
}
