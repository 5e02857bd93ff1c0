import { describe, expect, it } from "vitest";
import { isLoopbackAddress, isLoopbackHost } from "../../src/ops/loopback.js";
import { loadConfig } from "../../src/ops/config.js";
import { listenApi } from "../../src/api/listen.js";
import { apiHarness } from "./helpers.js";

/** Item 12: loopback means a literal loopback address, or `localhost` with every address checked. */
describe("loopback", () => {
  it("is a literal loopback address, never a name that only looks like one", async () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1"])
      expect(isLoopbackAddress(host), host).toBe(true);
    for (const host of [
      "127.0.0.1.nip.io",
      "127.evil.example",
      "127.0.0.1.",
      "0.0.0.0",
      "::",
      "10.0.0.1",
      "::ffff:10.0.0.1",
      "128.0.0.1",
      "localhost.example",
      "",
    ])
      expect(isLoopbackAddress(host), host).toBe(false);
    expect(await isLoopbackHost("localhost")).toBe(true);
    // no lookup of another name decides: these are not loopback even if DNS says 127.0.0.1
    expect(await isLoopbackHost("127.0.0.1.nip.io")).toBe(false);
    expect(await isLoopbackHost("127.evil.example")).toBe(false);
  });

  it("a config with auth off on a name that starts with 127. is refused", () => {
    expect(() =>
      loadConfig(undefined, { KEEL_SERVER_AUTH: "false", KEEL_SERVER_HOST: "127.evil.example" }),
    ).toThrow(/auth: false is refused on a non-loopback host \(127\.evil\.example\)/);
    expect(
      loadConfig(undefined, { KEEL_SERVER_AUTH: "false", KEEL_SERVER_HOST: "127.0.0.2" }).server
        .auth,
    ).toBe(false);
  });

  it("the server refuses to serve without tokens on such a name, before any lookup", async () => {
    const h = await apiHarness();
    try {
      await expect(
        listenApi({ keel: h.keel, home: h.home, host: "127.0.0.1.nip.io", port: 0, auth: false }),
      ).rejects.toThrow(/non-loopback bind without tokens is refused/);
    } finally {
      await h.close();
    }
  });
});

describe("without tokens", () => {
  it("answers only requests addressed to a loopback name, not a rebound one", async () => {
    const h = await apiHarness({ auth: false });
    try {
      const get = (host: string) =>
        h.api.app.inject({ method: "GET", url: "/v1/tokens", headers: { host } });
      for (const host of ["localhost:7420", "127.0.0.1:7420", "[::1]:7420", "127.0.0.1"])
        expect((await get(host)).statusCode, host).toBe(200);
      for (const host of ["evil.example:7420", "127.0.0.1.nip.io", "10.0.0.1:7420"]) {
        const refused = await get(host);
        expect(refused.statusCode, host).toBe(403);
        expect(refused.json().error.message).toMatch(/not a loopback name/);
      }
    } finally {
      await h.close();
    }
  });
});

describe("server keys from the environment", () => {
  it("KEEL_SERVER_TLS_CERT and _KEY fill server.tls; the failed-auth limit has defaults", () => {
    const config = loadConfig(undefined, {
      KEEL_SERVER_HOST: "0.0.0.0",
      KEEL_SERVER_TLS_CERT: "/etc/keel/cert.pem",
      KEEL_SERVER_TLS_KEY: "/etc/keel/key.pem",
    });
    expect(config.server).toMatchObject({
      host: "0.0.0.0",
      tls: { cert: "/etc/keel/cert.pem", key: "/etc/keel/key.pem" },
      allow_plain_http: false,
      failed_auth_limit: 10,
      failed_auth_window_ms: 60_000,
    });
    expect(
      loadConfig(undefined, { KEEL_SERVER_HOST: "0.0.0.0", KEEL_SERVER_ALLOW_PLAIN_HTTP: "true" })
        .server.allow_plain_http,
    ).toBe(true);
    expect(() => loadConfig(undefined, { KEEL_SERVER_HOST: "10.1.2.3" })).toThrow(
      /10\.1\.2\.3 is not a loopback address/,
    );
    expect(() => loadConfig(undefined, { KEEL_SERVER_TLS_CERT: "/etc/keel/cert.pem" })).toThrow(
      /server\.tls\.key/,
    );
  });
});
