import pino, { type Logger } from "pino";

/** JSON lines on stdout, one per event; `level` is one of pino's level names. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "servable" } });
}

export type { Logger };
