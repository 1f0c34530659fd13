import type { Readable } from 'node:stream';

/** A structured log line, parsed. */
export type LogLine = Record<string, unknown>;

export interface LogLines {
  /** Every JSON line read so far, in order. */
  lines: LogLine[];
  /**
   * Resolves with the first line after the first `after` lines that `matches` accepts, already
   * read or to come; rejects when `ended` settles first.
   */
  line(matches: (line: LogLine) => boolean, after?: number): Promise<LogLine>;
}

/**
 * The JSON log lines a process writes to `stream` (anything else, such as npm's banner, is left
 * out), and waits for a line: a handshake on what a process says instead of a sleep. `ended`
 * settles when the process exits; `why` says what to show when a wait fails.
 */
export function readLogLines(stream: Readable, ended: Promise<unknown>, why: () => string): LogLines {
  const lines: LogLine[] = [];
  const waiting = new Set<{ matches: (line: LogLine) => boolean; after: number; resolve: (line: LogLine) => void }>();
  let pending = '';
  stream.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (pending + chunk).split('\n');
    pending = parts.pop()!;
    for (const part of parts.filter((text) => text.startsWith('{'))) {
      const line = JSON.parse(part) as LogLine;
      lines.push(line);
      for (const waiter of waiting) {
        if (lines.length > waiter.after && waiter.matches(line)) {
          waiting.delete(waiter);
          waiter.resolve(line);
        }
      }
    }
  });
  const line = (matches: (line: LogLine) => boolean, after = 0) => {
    const found = lines.slice(after).find(matches);
    if (found) return Promise.resolve(found);
    return new Promise<LogLine>((resolve, reject) => {
      waiting.add({ matches, after, resolve });
      void ended.then(() => reject(new Error(`the process ended before the line awaited: ${why()}\n${JSON.stringify(lines, null, 1)}`)));
    });
  };
  return { lines, line };
}
