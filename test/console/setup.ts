/**
 * What the console's browser tests share: a harness with the standard world, the app served on
 * loopback, Chromium, and one-time login links per actor.
 */
import { serve } from "@hono/node-server";
import type { Browser, Page } from "playwright-core";
import { createHarness, signRequest, type Actor, type Harness } from "../harness.ts";
import { createWorld, type World } from "../world.ts";
import { hasChromium, launch } from "./browser.ts";

export interface ConsoleRig {
  h: Harness;
  w: World;
  base: string;
  browser: Browser | undefined;
  loginLink(actor: Actor): Promise<string>;
  /** A new page signed in as `actor`, on /console. */
  signedIn(actor: Actor): Promise<Page>;
  close(): Promise<void>;
}

export async function createConsoleRig(): Promise<ConsoleRig> {
  const h = await createHarness();
  const w = await createWorld(h);
  const { base, close } = await new Promise<{ base: string; close: () => void }>((resolve) => {
    const s = serve({ fetch: h.app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => resolve({ base: `http://127.0.0.1:${info.port}`, close: () => s.close() }));
  });
  const browser = hasChromium ? await launch() : undefined;
  const loginLink = async (actor: Actor) => `${base}/console/login?t=${await signRequest(actor, "GET", "/console/login", "")}`;
  return {
    h,
    w,
    base,
    browser,
    loginLink,
    async signedIn(actor) {
      const page = await browser!.newPage();
      await page.goto(await loginLink(actor));
      return page;
    },
    async close() {
      await browser?.close();
      close();
      await w.close();
      await h.close();
    },
  };
}
