import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from './ports.js';

const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

describe('freePort', () => {
  it('hands out distinct ports below the range outgoing connections take theirs from', async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    expect(new Set(ports).size).toBe(3);
    for (const port of ports) expect(port).toBeLessThan(ephemeralLow);
  });

  it('passes over a port something listens on', async () => {
    // The port it would hand out next, taken first: it is skipped.
    const probe = await freePort();
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(probe + 1, '127.0.0.1', resolve));
    try {
      const port = await freePort();
      expect(port).not.toBe(probe + 1);
      expect(port).toBeGreaterThan(probe);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
