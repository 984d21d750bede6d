/**
 * The Node logger: pino, one JSON line per event on stdout (or a given destination), levels from
 * HUREN_LOG, REDACT_PATHS blanked. The Worker cannot run pino (it writes through Node streams)
 * and uses ./console.ts, which prints the same shape.
 */
import { pino, stdTimeFunctions, type DestinationStream } from "pino";
import type { LogLevel, Logger } from "../deps.ts";
import { REDACT_PATHS, REDACTED } from "./redact.ts";

/**
 * @example
 * const logger = pinoLogger("info");
 * logger.info({ event: "request", requestId, route: "/v1/verifications", status: 200 });
 */
export function pinoLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const log = pino(
    {
      level,
      // The level as a word, the time as ISO 8601, no hostname: what operators grep for.
      formatters: { level: (label) => ({ level: label }) },
      timestamp: stdTimeFunctions.isoTime,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
    },
    destination,
  );
  return {
    error: (event) => log.error(event),
    warn: (event) => log.warn(event),
    info: (event) => log.info(event),
    debug: (event) => log.debug(event),
  };
}
