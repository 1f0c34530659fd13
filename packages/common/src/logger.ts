import { destination, pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** The shape every line has: level by name, ISO time, the service. */
const lineFormat = (service: string, level: string): LoggerOptions => ({
  level,
  base: { service },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
});

/**
 * Structured JSON logs on stdout; secrets never reach them. Written asynchronously: under load the
 * lines of many requests go out in one write instead of one write each; what is buffered is
 * flushed when the process exits.
 */
export function createLogger(service: string, level = 'info'): Logger {
  return pino(
    {
      ...lineFormat(service, level),
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-shopgraph-signature"]',
          'req.headers["x-shopgraph-viewer"]',
          '*.password',
          '*.card',
        ],
        censor: '[redacted]',
      },
    },
    destination({ dest: 1, sync: false }),
  );
}

/** Longest an access log line waits in the buffer when traffic is too light to fill it. */
const ACCESS_LOG_FLUSH_MS = 1000;

/**
 * Access log lines of a hot path (the gateway's cache hits), shaped like `createLogger`'s. Built
 * for volume: no redaction (its callers log request id, method, url, status and timing, never
 * headers or bodies), and lines leave in 4 KiB writes, or within a second when traffic is light.
 * Redacting and writing each line took as long as answering the hit.
 */
export function createAccessLogger(service: string, level = 'info'): Logger {
  const stream = destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => stream.flush(), ACCESS_LOG_FLUSH_MS).unref();
  return pino(lineFormat(service, level), stream);
}
