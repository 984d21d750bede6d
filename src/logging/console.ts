/**
 * The Workers logger: one JSON line per event through console.log (Workers Logs / Logpush read
 * it), the same fields and redaction as the Node logger (./pino.ts), without pino's Node streams.
 */
import createRedact from "@pinojs/redact";
import type { LogLevel, Logger } from "../deps.ts";
import { REDACT_PATHS, REDACTED } from "./redact.ts";

const RANK: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/**
 * @example
 * const logger = consoleLogger("info", (line) => console.log(line));
 */
export function consoleLogger(level: LogLevel, write: (line: string) => void = (line) => console.log(line)): Logger {
  const redact = createRedact({ paths: REDACT_PATHS, censor: REDACTED, serialize: false, strict: false }) as (o: object) => object;
  const at = (name: Exclude<LogLevel, "silent">) => (event: Record<string, unknown>) => {
    if (RANK[name] < RANK[level]) return;
    write(JSON.stringify({ level: name, time: new Date().toISOString(), ...redact(event) }));
  };
  return { error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") };
}
