/**
 * Where `{ file }` fixture adapters may read (PROTOCOL §4): only regular files inside the
 * gateway's fixture folder (HUREN_FIXTURE_DIR), after every symbolic link is resolved, and at
 * most `maxBytes`. A file path in an adapter config is chosen by whoever registers the adapter,
 * possibly a department: without this, `{ "file": "/etc/…" }` or a link out of the folder would
 * read anything the gateway can, and a different error for "no such file" and "not allowed"
 * would tell a department which paths exist. So every refusal is one message.
 */
import { constants } from "node:fs";
import { open, realpath } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";

/** Default cap on a fixture file: generous for extracts (100 000 records), small for a heap. */
export const FIXTURE_MAX_BYTES = 8 * 1024 * 1024;

import { FIXTURE_FILE_REFUSED } from "./fixture.ts";

export { FIXTURE_FILE_REFUSED };

export class FixtureFileError extends Error {
  constructor(message: string = FIXTURE_FILE_REFUSED) {
    super(message);
    this.name = "FixtureFileError";
  }
}

export interface FixtureReaderOptions {
  /** The fixture folder; relative config paths are taken from here. */
  dir: string;
  /** Default {@link FIXTURE_MAX_BYTES}. */
  maxBytes?: number;
}

const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
};

/**
 * A `readFile` for the adapter context, confined to `dir`.
 * @example
 * const readFile = createFixtureReader({ dir: "/srv/huren/fixtures" });
 * await readFile("housing.json"); // or "/srv/huren/fixtures/housing.json"; "../secret.key" is refused
 */
export function createFixtureReader(options: FixtureReaderOptions): (path: string) => Promise<string> {
  const maxBytes = options.maxBytes ?? FIXTURE_MAX_BYTES;
  let root: Promise<string> | undefined;
  return async (path) => {
    let real: string;
    try {
      root ??= realpath(resolve(options.dir));
      const dir = await root.catch((err: unknown) => {
        root = undefined; // created later: try again next time
        throw err;
      });
      // Containment before anything touches the path, then again after links are resolved.
      const wanted = resolve(dir, path);
      if (!inside(dir, wanted)) throw new FixtureFileError();
      real = await realpath(wanted);
      if (!inside(dir, real)) throw new FixtureFileError();
    } catch {
      throw new FixtureFileError();
    }
    let handle;
    try {
      // O_NOFOLLOW: a link swapped in after realpath is refused, not followed.
      handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch {
      throw new FixtureFileError();
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new FixtureFileError();
      if (stat.size > maxBytes) throw new FixtureFileError(`fixture file is larger than the fixture size cap (${maxBytes} bytes, HUREN_FIXTURE_MAX_BYTES)`);
      const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      // Grown since stat: still capped.
      if (bytesRead > maxBytes) throw new FixtureFileError(`fixture file is larger than the fixture size cap (${maxBytes} bytes, HUREN_FIXTURE_MAX_BYTES)`);
      return buffer.subarray(0, bytesRead).toString("utf8");
    } catch (err) {
      throw err instanceof FixtureFileError ? err : new FixtureFileError();
    } finally {
      await handle.close();
    }
  };
}
