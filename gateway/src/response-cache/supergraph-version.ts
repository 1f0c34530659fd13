import { hash } from 'node:crypto';

/**
 * The version of the supergraph the gateway serves: a hash of its SDL, part of every cache key,
 * so that an answer cached under one supergraph is never found under another (a field removed
 * by a hot reload must fail validation, not be answered from the cache). Gateways serving the
 * same file share entries; listeners hear of each change before any request runs on it.
 */
export class SupergraphVersion {
  private version = '';
  private readonly listeners: ((version: string) => void)[] = [];

  /** The version of the supergraph in service; empty before the first one loads. */
  get current(): string {
    return this.version;
  }

  /** Called with the core supergraph SDL whenever the gateway loads one. */
  loaded(supergraphSdl: string): void {
    const next = hash('sha256', supergraphSdl, 'base64url').slice(0, 16);
    if (next === this.version) return;
    this.version = next;
    for (const listener of this.listeners) listener(next);
  }

  onChange(listener: (version: string) => void): void {
    this.listeners.push(listener);
  }
}
