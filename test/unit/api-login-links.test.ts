import { describe, expect, it } from "vitest";
import { LoginLinks, loginUrl } from "../../src/api/console/login-links.js";

describe("one-time console login links", () => {
  it("grant an admin session once, and never again", () => {
    const links = new LoginLinks();
    const { code } = links.issue("cli:ana", 1000);
    expect(links.redeem(code, 2000)).toEqual({ role: "admin", issuedBy: "cli:ana" });
    expect(links.redeem(code, 2001)).toBeNull();
  });

  it("expire after their time, and an unknown code grants nothing", () => {
    const links = new LoginLinks(60_000);
    const { code, expiresAt } = links.issue("cli:ana", 0);
    expect(expiresAt).toBe(60_000);
    expect(links.redeem("not-a-code", 1)).toBeNull();
    expect(links.redeem(code, 60_000)).toBeNull();
  });

  it("keep at most 32 open: the oldest goes first", () => {
    const links = new LoginLinks();
    const first = links.issue("a", 0).code;
    for (let i = 0; i < 32; i++) links.issue("b", 0);
    expect(links.redeem(first, 1)).toBeNull();
  });

  it("put the code in the fragment, which a browser never sends to a server", () => {
    expect(loginUrl("http://127.0.0.1:7420", "abc")).toBe("http://127.0.0.1:7420/#/login?code=abc");
  });
});
