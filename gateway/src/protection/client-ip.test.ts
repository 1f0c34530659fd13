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

  it('works out a remembered chain once, and forgets every chain when it knows 10,000', () => {
    const loopback = proxyaddr.compile('loopback');
    let trustCalls = 0;
    const counted = clientIpResolver((address, hop) => {
      trustCalls++;
      return loopback(address, hop);
    });
    const first = request('127.0.0.1', '203.0.113.20');
    expect(counted(first)).toBe('203.0.113.20');
    const afterFirst = trustCalls;
    expect(counted(request('127.0.0.1', '203.0.113.20'))).toBe('203.0.113.20');
    expect(trustCalls).toBe(afterFirst);

    for (let i = 1; i < 10_000; i++) counted(request('127.0.0.1', `10.0.${i >> 8}.${i & 255}`));
    const full = trustCalls;
    expect(counted(first)).toBe('203.0.113.20');
    expect(trustCalls).toBe(full);
    // The 10,001st pair: everything is forgotten, so the first is worked out again.
    expect(counted(request('127.0.0.1', '10.1.0.0'))).toBe('10.1.0.0');
    const afterForgetting = trustCalls;
    expect(counted(first)).toBe('203.0.113.20');
    expect(trustCalls).toBeGreaterThan(afterForgetting);
  });
});
