/**
 * Raw-socket and child-process helpers for the transport security tests: what a slow, idle or
 * departing client does on the wire, and the production bundle run as a real process.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { connect, type Socket } from "node:net";

export const ROOT = new URL("../..", import.meta.url).pathname;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A raw TCP connection that records what came back and when it closed. */
export interface RawConn {
  socket: Socket;
  received(): string;
  /** Resolves with ms since connect when the server closes (or resets) the connection. */
  closed: Promise<number>;
  isClosed(): boolean;
}

export function rawConnect(port: number): Promise<RawConn> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const started = performance.now();
    let data = "";
    let done = false;
    socket.on("data", (d) => (data += d.toString()));
    socket.on("error", () => {}); // a reset counts as closed
    const closed = new Promise<number>((r) =>
      socket.once("close", () => {
        done = true;
        r(performance.now() - started);
      }),
    );
    socket.once("connect", () => resolve({ socket, received: () => data, closed, isClosed: () => done }));
    socket.once("error", reject);
  });
}

/** Writes one byte every `everyMs` until the connection closes or `bytes` are sent; resolves with how many were sent. */
export async function trickle(conn: RawConn, bytes: number, everyMs: number): Promise<number> {
  let sent = 0;
  while (sent < bytes && !conn.isClosed()) {
    await Promise.race([sleep(everyMs), conn.closed]);
    if (conn.isClosed()) break;
    conn.socket.write("x");
    sent++;
  }
  return sent;
}

/** Resolves with `what` or rejects after `ms` (a bound for real-socket tests, not a measurement). */
export function within<T>(ms: number, what: Promise<T>, label: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    what.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${label}: not within ${ms} ms`)), ms))),
  ]);
}

export interface Gateway {
  child: ChildProcess;
  url: string;
  stdout(): string;
  exited: Promise<number | null>;
}

/** Starts `node dist/node.js` and resolves once it prints where it listens. */
export function startBundle(env: NodeJS.ProcessEnv, timeoutMs = 150_000): Promise<Gateway> {
  const child = spawn(process.execPath, ["dist/node.js"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${err}`)), timeoutMs);
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      // With the demo, wait for its last line (the departments are up by then).
      if (m && (env.HUREN_DEMO === "off" || /npm run --silent huren -- verify .+\n/.test(err))) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, stdout: () => out, exited });
      }
    });
    void exited.then((code) => reject(new Error(`gateway exited with ${code}:\n${err}`)));
  });
}
