import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * `$KEEL_HOME/api.json`: where the node of a home listens, while it does. Apart from the server so
 * a CLI command can find the API without loading the HTTP server's code.
 */
export interface ApiAddress {
  url: string;
  pid: number;
}

export function apiAddressPath(home: string): string {
  return join(home, "api.json");
}

export function readApiAddress(home: string): ApiAddress | null {
  try {
    const value = JSON.parse(readFileSync(apiAddressPath(home), "utf8")) as Partial<ApiAddress>;
    return typeof value.url === "string" && typeof value.pid === "number"
      ? { url: value.url, pid: value.pid }
      : null;
  } catch {
    return null;
  }
}
