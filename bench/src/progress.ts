/** A progress bar on stderr: redrawn in place on a terminal, one line per step elsewhere (CI logs). */
export class Progress {
  private readonly startedAt = Date.now();
  private readonly tty: boolean;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, private readonly quiet = false) {
    this.tty = Boolean(stream.isTTY);
  }

  /** A phase of `steps` steps, shown as `[####----] n/steps title: what`. */
  task(title: string, steps: number) {
    let done = 0;
    this.draw(title, done, steps, 'starting');
    return {
      advance: (what: string) => {
        done = Math.min(steps, done + 1);
        this.draw(title, done, steps, what);
      },
      done: () => {
        if (this.tty && !this.quiet) this.stream.write('\n');
      },
    };
  }

  /** A one-off message between phases. */
  note(message: string): void {
    if (this.quiet) return;
    this.stream.write(`${this.tty ? '\r\x1b[2K' : ''}[${this.elapsed()}] ${message}\n`);
  }

  private draw(title: string, done: number, steps: number, what: string) {
    if (this.quiet) return;
    const width = 24;
    const filled = steps > 0 ? Math.round((done / steps) * width) : width;
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    const line = `[${this.elapsed()}] [${bar}] ${done}/${steps} ${title}: ${what}`;
    if (this.tty) this.stream.write(`\r\x1b[2K${line.slice(0, (this.stream.columns ?? 120) - 1)}`);
    else this.stream.write(`${line}\n`);
  }

  private elapsed() {
    const seconds = Math.floor((Date.now() - this.startedAt) / 1000);
    return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  }
}
