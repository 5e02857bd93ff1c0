import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { keelCli } from "./keel-cli.js";
import { selfSignedCert } from "../api/self-signed.js";

/**
 * Items 11 and 13 through the real CLI: the start banner in keel.log follows path redaction; a
 * network bind without TLS is refused before anything starts; with TLS the node serves HTTPS
 * and the CLI on the machine reaches it when it trusts the certificate.
 */
function tempHome(): string {
  return mkdtempSync(join(tmpdir(), "keel-cli-security-"));
}

describe("keel start and security", () => {
  it("keel.log names no folder of the home, the start banner included", () => {
    const home = tempHome();
    const started = keelCli(home, ["start", "--format", "json"], { KEEL_LOG_LEVEL: "info" });
    expect(started.code, started.stderr).toBe(0);
    try {
      expect(keelCli(home, ["status"]).code).toBe(0);
    } finally {
      expect(keelCli(home, ["stop"]).code).toBe(0);
    }
    const log = readFileSync(join(home, "logs", "keel.log"), "utf8");
    expect(log).toMatch(/running \[document-analysis\] on …\/keel-cli-security-/);
    expect(log.includes(home)).toBe(false);
  }, 60_000);

  it("a non-loopback host without TLS is refused at start and by config validate (exit 2)", () => {
    const home = tempHome();
    const config = join(home, "keel.yaml");
    writeFileSync(config, "server:\n  host: 0.0.0.0\n");
    for (const args of [["config", "validate"], ["start"]]) {
      const refused = keelCli(home, [...args, "--config", config]);
      expect(refused.code, `${args.join(" ")}: ${refused.stdout}${refused.stderr}`).toBe(2);
      expect(refused.stderr).toMatch(
        /server\.host: 0\.0\.0\.0 is not a loopback address.*server\.tls\.cert and server\.tls\.key/,
      );
    }
    // the environment decides the same way
    const fromEnv = keelCli(home, ["start"], { KEEL_SERVER_HOST: "0.0.0.0" });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toMatch(/0\.0\.0\.0 is not a loopback address/);
    writeFileSync(join(home, "keel.yaml"), "server:\n  host: 127.0.0.1.nip.io\n  auth: false\n");
    const named = keelCli(home, ["config", "validate", "--config", join(home, "keel.yaml")]);
    expect(named.code).toBe(2);
    expect(named.stderr).toMatch(/auth: false is refused on a non-loopback host/);
  }, 60_000);

  it("serves HTTPS with server.tls from the environment; the CLI trusts the certificate", () => {
    const home = tempHome();
    const { cert, key } = selfSignedCert(home);
    const env = {
      KEEL_SERVER_TLS_CERT: cert,
      KEEL_SERVER_TLS_KEY: key,
      KEEL_SERVER_PORT: "0",
      NODE_EXTRA_CA_CERTS: cert,
    };
    const started = keelCli(home, ["start", "--format", "json"], env);
    expect(started.code, started.stderr).toBe(0);
    try {
      expect(JSON.parse(started.stdout).api).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const status = keelCli(home, ["status", "--format", "json"], env);
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout).workers).not.toBeNull();
    } finally {
      expect(keelCli(home, ["stop"], env).code).toBe(0);
    }
  }, 60_000);
});
