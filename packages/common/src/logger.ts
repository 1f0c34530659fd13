import { destination, pino, type Logger, type LoggerOptions } from 'pino';
import { prettyFactory, type PrettyOptions } from 'pino-pretty';

export type { Logger };

/** How much a process logs and in which mode it runs: what its configuration says (`toBaseConfig`). */
export interface LogSettings {
  logLevel: string;
  nodeEnv?: string;
}

/**
 * Lines for a person: a terminal on stdout, outside production. JSON lines otherwise (piped,
 * collected, in production, or when only a level is given), as log collectors expect.
 */
function forAPerson(settings: string | LogSettings): boolean {
  return typeof settings === 'object' && settings.nodeEnv !== undefined && settings.nodeEnv !== 'production' && process.stdout.isTTY === true;
}

const levelOf = (settings: string | LogSettings) => (typeof settings === 'string' ? settings : settings.logLevel);

/**
 * A line for a person: local time, level, the service's name in front of the message; a request's
 * line says what the access log says (`createServiceApp`) on that one line.
 */
const READABLE: PrettyOptions = {
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'service,pid,hostname,req,res,responseTime,cache',
  messageFormat: (log, messageKey) => {
    const req = log.req as { id?: string; method?: string; url?: string } | undefined;
    const res = log.res as { statusCode?: number } | undefined;
    const request = req && res ? ` ${req.method} ${req.url} ${res.statusCode} ${String(log.responseTime)} ms${log.cache ? ` ${String(log.cache)}` : ''}` : '';
    return `[${String(log.service)}] ${String(log[messageKey])}${request}${req?.id ? ` (${req.id})` : ''}`;
  },
};

/**
 * Writes a batch of JSON lines to stdout as the process's loggers print them: as they are, or
 * each readably for a person (`READABLE`). Synchronously: a batch is written once in up to 256
 * lines (`LineBatch`), so the write costs little, and the last batch at exit cannot overtake an
 * earlier one still on its way, as an asynchronous write in flight can.
 */
function stdout(settings: string | LogSettings): (lines: string) => void {
  const out = destination({ dest: 1, sync: true });
  if (!forAPerson(settings)) return (lines) => out.write(lines);
  const readable = prettyFactory(READABLE);
  return (lines) => out.write(lines.split('\n').filter(Boolean).map((line) => readable(line)).join(''));
}

/** The shape every line has: level by name, ISO time, the service. */
const lineFormat = (service: string, level: string): LoggerOptions => ({
  level,
  base: { service },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
});

/**
 * Structured logs on stdout (`sharedStdout`); secrets never reach them. What is buffered is
 * flushed when the process exits. `settings` is a level, or a process's configuration: then a
 * terminal outside production gets lines a person reads.
 */
export function createLogger(service: string, settings: string | LogSettings = 'info'): Logger {
  return pino(
    {
      ...lineFormat(service, levelOf(settings)),
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
    sharedStdout(settings),
  );
}

/** Longest a line waits when traffic is light. */
const LOG_FLUSH_MS = 250;
/** Lines that leave together at most, when traffic is heavy. */
const LOG_BATCH = 256;

/**
 * A pino destination that collects lines and hands them to `write` in one write per batch: a
 * write costs as much as formatting a line, so one per request would double the cost of an
 * access log line (a cache hit's at the gateway, every call's at a subgraph). What is collected
 * is written at exit too.
 */
class LineBatch {
  private lines: string[] = [];

  constructor(private readonly out: (lines: string) => void) {
    setInterval(() => this.flush(), LOG_FLUSH_MS).unref();
    process.once('exit', () => this.flush());
  }

  write(line: string): void {
    this.lines.push(line);
    if (this.lines.length >= LOG_BATCH) this.flush();
  }

  private flush(): void {
    if (this.lines.length === 0) return;
    const chunk = this.lines.join('');
    this.lines = [];
    this.out(chunk);
  }
}

/**
 * The process's stdout as every logger writes it, one batch per format (JSON lines or lines for a
 * person): each holds a timer and an exit hook, so a process needs no more, and the lines of all
 * its loggers leave in the order they were written.
 */
const batches = new Map<boolean, LineBatch>();
function sharedStdout(settings: string | LogSettings): LineBatch {
  const person = forAPerson(settings);
  let batch = batches.get(person);
  if (!batch) {
    batch = new LineBatch(stdout(settings));
    batches.set(person, batch);
  }
  return batch;
}

/** One per service, level and format: a busy access log formats its time once per millisecond. */
const accessLoggers = new Map<string, Logger>();

/**
 * Access log lines of a hot path (the gateway's cache hits), shaped like `createLogger`'s. Built
 * for volume: no redaction (its callers log request id, method, url, status and timing, never
 * headers or bodies).
 */
export function createAccessLogger(service: string, settings: string | LogSettings = 'info'): Logger {
  const level = levelOf(settings);
  const key = `${service}\n${level}\n${forAPerson(settings)}`;
  let logger = accessLoggers.get(key);
  if (!logger) {
    logger = pino({ ...lineFormat(service, level), timestamp: isoTimeOncePerMillisecond() }, sharedStdout(settings));
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
