import { z } from 'zod';
import { badUserInput, parseInput } from './errors.js';
import { isStorableDate } from './scalars.js';

/** A keyset position: lists are ordered newest first by (createdAt, id). */
export interface Cursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`).toString('base64url');
}

/**
 * The position `encodeCursor` wrote, or BAD_USER_INPUT: the date must be exactly as it wrote it
 * and one Postgres can compare with, since a client may send any bytes as `after`.
 */
export function decodeCursor(value: string): Cursor {
  const [iso, id, ...rest] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  const ours = isStorableDate(createdAt) && createdAt.toISOString() === iso;
  if (!id || rest.length > 0 || !ours || !z.uuid().safeParse(id).success) {
    throw badUserInput('after is not a valid cursor.', { field: 'after' });
  }
  return { createdAt, id };
}

const pageArgsSchema = z.object({
  first: z.number().int().min(1).max(100),
  after: z.string().max(200).nullish(),
});

export interface PageArgs {
  first: number;
  after: Cursor | null;
}

/** Validates `first` (1..100) and decodes `after`. */
export function parsePageArgs(args: { first?: number | null; after?: string | null }): PageArgs {
  const parsed = parseInput(pageArgsSchema, { first: args.first ?? 20, after: args.after });
  return { first: parsed.first, after: parsed.after ? decodeCursor(parsed.after) : null };
}

/** Builds edges and pageInfo from `first + 1` fetched rows (the extra one only says "there is more"). */
export function toConnection<Row extends { createdAt: Date; id: string }>(rows: Row[], first: number) {
  const page = rows.slice(0, first);
  const edges = page.map((node) => ({ cursor: encodeCursor(node), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
  };
}
