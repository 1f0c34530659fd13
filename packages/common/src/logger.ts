import { destination, pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stdout; secrets never reach them. Written asynchronously: under load the
 * lines of many requests go out in one write instead of one write each (a cache hit costs little
 * more than its log line otherwise); what is buffered is flushed when the process exits.
 */
export function createLogger(service: string, level = 'info'): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
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
