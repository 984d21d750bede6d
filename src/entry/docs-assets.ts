/**
 * The API reference's viewer, Swagger UI, read from the installed swagger-ui-dist package and served
 * by the gateway itself: gateways run inside government networks without a CDN. Node only (the
 * Worker serves the plain fallback page).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { DocsAssets } from "../deps.ts";

export async function loadDocsAssets(): Promise<DocsAssets | undefined> {
  try {
    const dir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
    const [js, css] = await Promise.all([readFile(join(dir, "swagger-ui-bundle.js"), "utf8"), readFile(join(dir, "swagger-ui.css"), "utf8")]);
    return { js, css };
  } catch {
    return undefined; // not installed: /docs falls back to the plain page
  }
}
