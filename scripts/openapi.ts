/**
 * Prints the gateway's OpenAPI document (what GET /openapi.json serves) without starting a server:
 * the app is built over an in-memory PGlite. The window-vendor SDK's types are generated from it:
 * `npm run sdk:generate` (openapi-typescript) writes packages/client/src/schema.d.ts.
 */
import { createApp } from "../src/app.ts";
import { assembleDeps } from "../src/entry/assemble.ts";
import { openPglite } from "../src/db/pglite.ts";
import { generateSecret } from "../src/crypto/secrets.ts";
import { createUndiciHttpClient } from "../src/http/undici-client.ts";

export async function openApiDocument(): Promise<unknown> {
  const deps = await assembleDeps({
    gatewayId: "huren.localhost",
    database: await openPglite({}),
    secret: generateSecret(),
    http: createUndiciHttpClient(),
    logger: { info: () => {}, error: () => {} },
  });
  try {
    const res = await createApp(deps).request("/openapi.json");
    return await res.json();
  } finally {
    await deps.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(JSON.stringify(await openApiDocument(), null, 2) + "\n");
}
