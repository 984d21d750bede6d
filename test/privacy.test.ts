/** PIPL: after real traffic, no raw person id or name anywhere in the database or the logs. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { createHarness, type Harness } from "./harness.ts";
import { createWorld, DEMO_PEOPLE, HOUSING, type World } from "./world.ts";

let h: Harness;
let w: World;
beforeAll(async () => {
  h = await createHarness();
  w = await createWorld(h);
});
afterAll(async () => {
  await w?.close();
  await h?.close();
});

it("stores and logs only keyed references", async () => {
  for (const p of Object.values(DEMO_PEOPLE)) {
    const res = await h.call(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: `PRIV-${p.id.slice(-4)}`, subject: { type: "resident-id", id: p.id, name: p.name } });
    expect(res.status).toBe(200);
  }
  const tables = (await h.deps.db.execute(sql`select table_name from information_schema.tables where table_schema = 'public'`)) as unknown as { rows?: { table_name: string }[] } & { table_name: string }[];
  const names = (tables.rows ?? tables).map((r) => r.table_name);
  expect(names).toContain("ledger_entries");
  let dump = "";
  for (const name of names) {
    const rows = await h.deps.db.execute(sql.raw(`select * from "${name}"`));
    dump += JSON.stringify(rows);
  }
  const logs = h.logs.join("\n");
  expect(logs).toContain("verificationId");
  for (const p of Object.values(DEMO_PEOPLE)) {
    expect(dump).not.toContain(p.id);
    expect(dump).not.toContain(p.name);
    expect(logs).not.toContain(p.id);
    expect(logs).not.toContain(p.name);
  }
});
