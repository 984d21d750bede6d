/**
 * The Node resolver for src/reach/guard.ts: every address the system resolver gives, in its
 * order (`verbatim`), as `net.connect` would have used them.
 */
import { lookup } from "node:dns/promises";
import type { LookupAll } from "./guard.ts";

export const systemLookup: LookupAll = (host) => lookup(host, { all: true, verbatim: true });
