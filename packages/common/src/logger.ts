import { writeSync } from 'node:fs';
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

/** Longest an access log line waits when traffic is light. */
const ACCESS_LOG_FLUSH_MS = 250;
/** Lines that leave together at most, when traffic is heavy. */
const ACCESS_LOG_BATCH = 256;

/**
 * A pino destination that collects lines and hands them to `out` in one write per batch: a
 * write costs as much as formatting a line, so one per request would double the cost of a
 * cache hit's log line. What is collected is written at exit too.
 */
class LineBatch {
  private lines: string[] = [];

  constructor(private readonly out: { write(chunk: string): unknown }) {
    setInterval(() => this.flush(), ACCESS_LOG_FLUSH_MS).unref();
    // Synchronously, since nothing asynchronous runs once the process exits.
    process.once('exit', () => {
      if (this.lines.length > 0) writeSync(1, this.take());
    });
  }

  write(line: string): void {
    this.lines.push(line);
    if (this.lines.length >= ACCESS_LOG_BATCH) this.flush();
  }

  private flush(): void {
    if (this.lines.length > 0) this.out.write(this.take());
  }

  private take(): string {
    const chunk = this.lines.join('');
    this.lines = [];
    return chunk;
  }
}

/** One per service and level: each holds a timer and an exit hook, so a process needs no more. */
const accessLoggers = new Map<string, Logger>();

/**
 * Access log lines of a hot path (the gateway's cache hits), shaped like `createLogger`'s. Built
 * for volume: no redaction (its callers log request id, method, url, status and timing, never
 * headers or bodies), and lines leave stdout in batches, within a quarter of a second.
 */
export function createAccessLogger(service: string, level = 'info'): Logger {
  const key = `${service}\n${level}`;
  let logger = accessLoggers.get(key);
  if (!logger) {
    logger = pino({ ...lineFormat(service, level), timestamp: isoTimeOncePerMillisecond() }, new LineBatch(destination({ dest: 1, sync: false })));
    accessLoggers.set(key, logger);
  }
  return logger;
}

/** pino's isoTime, formatted once per millisecond: a busy access log writes several lines in each. */
function isoTimeOncePerMillisecond(): () => string {
  let at = 0;
  let formatted = '';
  return () => {
    const now = Date.now();
    if (now !== at) {
      at = now;
      formatted = pino.stdTimeFunctions.isoTime();
    }
    return formatted;
  };
}
