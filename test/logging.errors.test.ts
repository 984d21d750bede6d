/** What an unexpected error may put in a log line (src/logging/errors.ts): never its message, never SQL or parameters. */
import { describe, expect, it } from "vitest";
import { describeError } from "../src/logging/errors.ts";

const RAW_ID = "220102199001011234";

describe("describeError", () => {
  it("keeps a plain error's class and where it was thrown, not its message", () => {
    const d = describeError(new TypeError(`cannot read ${RAW_ID}`));
    expect(d.error).toBe("TypeError");
    expect(d.where).toMatch(/^test\/logging\.errors\.test\.ts:\d+$/);
    expect(JSON.stringify(d)).not.toContain(RAW_ID);
  });

  it("reduces a database error anywhere in the cause chain to its SQLSTATE and constraint", () => {
    const pg = Object.assign(new Error(`new row violates check constraint, detail: (${RAW_ID})`), { code: "23514", constraint: "consents_uses_check" });
    const wrapped = Object.assign(new Error(`Failed query: insert into consents … params: ${RAW_ID}`, { cause: pg }), { query: "insert …", params: [RAW_ID] });
    expect(describeError(wrapped)).toEqual({ error: "database-error", code: "23514", constraint: "consents_uses_check" });
  });

  it("keeps a short driver code; drops one that could carry text", () => {
    expect(describeError(Object.assign(new Error("connect ECONNREFUSED 10.0.0.5:5432"), { code: "ECONNREFUSED" }))).toMatchObject({ error: "Error", code: "ECONNREFUSED" });
    expect(describeError(Object.assign(new Error("x"), { code: `bad ${RAW_ID} value` })).code).toBeUndefined();
    expect(describeError("a string")).toEqual({ error: "string" });
  });
});
