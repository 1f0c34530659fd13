import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { SupergraphManager } from '@apollo/gateway';
import { Supergraph } from '@apollo/federation-internals';
import { ConfigError, type Logger } from '@shopgraph/common';

export interface SupergraphFileOptions {
  path: string;
  logger: Logger;
  /** Changes closer together than this are read once (editors and `compose` write in steps). */
  debounceMs?: number;
}

/** A subgraph as a supergraph names it, with the URL written at composition. */
export interface SubgraphEndpoint {
  name: string;
  url: string;
}

/** The subgraphs a supergraph routes to. */
export function subgraphsOf(supergraphSdl: string): SubgraphEndpoint[] {
  // The gateway has validated this supergraph already; here it is only read.
  return Supergraph.build(supergraphSdl, { validateSupergraph: false })
    .subgraphsMetadata()
    .map(({ name, url }) => ({ name, url }));
}

async function readSupergraph(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as { code?: string }).code ?? String(error);
    throw new ConfigError(
      `SUPERGRAPH_PATH: cannot read ${path} (${reason}). Run \`npm run compose\`, or point SUPERGRAPH_PATH at a supergraph file.`,
    );
  }
}

/**
 * Serves the supergraph in a file and hot-reloads it when the file changes. A new version that
 * does not load is logged and the previous one stays in service; Apollo Server swaps schemas
 * between requests, so requests in flight finish on the version they started with.
 */
export function supergraphFromFile({ path, logger, debounceMs = 100 }: SupergraphFileOptions): SupergraphManager {
  const file = resolve(path);
  return {
    async initialize({ update }) {
      let current = await readSupergraph(file);
      let closed = false;
      let pending: NodeJS.Timeout | undefined;

      const reload = async () => {
        let next: string;
        try {
          next = await readFile(file, 'utf8');
        } catch (error) {
          logger.warn({ err: error, path: file }, 'supergraph file unreadable; keeping the current supergraph');
          return;
        }
        if (closed || next === current) return;
        try {
          update(next);
          current = next;
          logger.info({ path: file }, 'supergraph reloaded');
        } catch (error) {
          logger.error({ err: error, path: file }, 'the changed supergraph does not load; keeping the current one');
        }
      };

      // The directory, not the file, is watched: a file replaced by rename (atomic writes, most
      // editors) would leave a watch on the file itself pointing at the old inode.
      const watcher = watch(dirname(file), (_event, changed) => {
        if (changed !== null && changed !== basename(file)) return;
        clearTimeout(pending);
        pending = setTimeout(() => void reload(), debounceMs);
      });
      watcher.on('error', (error) => logger.error({ err: error, path: file }, 'cannot watch the supergraph file'));

      return {
        supergraphSdl: current,
        async cleanup() {
          closed = true;
          clearTimeout(pending);
          watcher.close();
        },
      };
    },
  };
}
