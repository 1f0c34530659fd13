import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import { describe, expect, it } from 'vitest';
import { clientIpResolver } from './client-ip.js';

const request = (peer: string, forwarded?: string) =>
  ({ socket: { remoteAddress: peer }, headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded } }) as unknown as IncomingMessage;

describe('clientIpResolver', () => {
  const clientIp = clientIpResolver(proxyaddr.compile('loopback'));

  it('believes X-Forwarded-For only from a trusted proxy, as express does', () => {
    expect(clientIp(request('127.0.0.1', '203.0.113.9'))).toBe('203.0.113.9');
    expect(clientIp(request('::ffff:127.0.0.1', '203.0.113.10'))).toBe('203.0.113.10');
    expect(clientIp(request('198.51.100.4', '203.0.113.9'))).toBe('198.51.100.4');
    expect(clientIp(request('127.0.0.1'))).toBe('127.0.0.1');
  });

  it('answers each remembered chain as it was answered, and a new header afresh', () => {
    expect(clientIp(request('127.0.0.1', '203.0.113.11, 127.0.0.1'))).toBe('203.0.113.11');
    expect(clientIp(request('127.0.0.1', '203.0.113.11, 127.0.0.1'))).toBe('203.0.113.11');
    expect(clientIp(request('127.0.0.1', '203.0.113.12'))).toBe('203.0.113.12');
    expect(clientIp(request('198.51.100.5', '203.0.113.12'))).toBe('198.51.100.5');
  });
});
