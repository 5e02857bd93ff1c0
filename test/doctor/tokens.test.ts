import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Database } from "../../src/store/sqlite/driver.js";
import { keelJson } from "../integration/keel-cli.js";
import { doctor, findingOf, runFixCommand, useHomes } from "./helpers.js";

describe("doctor: tokens", () => {
  const newHome = useHomes();

  it("finds an admin token older than token_max_age_days; rotating it clears the finding", () => {
    const { home, config } = newHome("doctor:\n  token_max_age_days: 30\n");
    const token = keelJson(home, [
      "tokens",
      "create",
      "--role",
      "admin",
      "--name",
      "ops",
      "--config",
      config,
    ]);
    expect(doctor(home, config, ["--only", "tokens"]).code).toBe(0);
    // the token as it would be 100 days on: created_at is what the check reads
    const db = new Database(join(home, "keel.db"));
    db.prepare("UPDATE tokens SET created_at = ? WHERE id = ?").run(
      Date.now() - 100 * 86_400_000,
      token.id,
    );
    db.close();
    const f = findingOf(doctor(home, config, ["--only", "tokens"]).report, "tokens");
    expect(f.summary).toMatch(
      new RegExp(
        `^admin token ops \\(${token.id}\\) is 100\\.0 d old and was never rotated \\(limit 30 d\\)$`,
      ),
    );
    expect(f.commands).toEqual([
      `keel tokens create --role admin --name ops-next --home ${home}`,
      `keel tokens revoke ${token.id} --home ${home}`,
    ]);
    for (const command of f.commands) expect(runFixCommand(command, config).code).toBe(0);
    expect(doctor(home, config, ["--only", "tokens"]).code).toBe(0);
  });
});
