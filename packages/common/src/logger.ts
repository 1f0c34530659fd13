import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs; secrets never reach them. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
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
  });
}
