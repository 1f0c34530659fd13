import { GraphQLError } from 'graphql';
import type { RedisClient } from './redis.js';

/**
 * Where ended sessions are written (users subgraph) and read (gateway): one Redis hash per user,
 * `<prefix><userId>`, with the user's current token version in field `v` and every session ended
 * by `logout` as a field `s:<sessionId>` holding its token's expiry (epoch ms).
 *
 * The hash lives as long as an access token: every token it could refuse was issued before the
 * write, so it has expired by the time the hash does; a missing hash refuses nothing.
 */
/** The default `SESSION_REDIS_PREFIX` of the users subgraph and the gateway, which must agree. */
export const DEFAULT_SESSION_KEY_PREFIX = 'shopgraph:session:';

export const sessionKey = (prefix: string, userId: string) => `${prefix}${userId}`;

/**
 * The pub/sub channel each write of a user's hash is announced on, the user's id as the message:
 * gateways end that user's open subscriptions at once instead of at their next check.
 */
export const sessionEndsChannel = (prefix: string) => `${prefix}ended`;

/** What the gateway needs to know about a user's sessions. */
export interface SessionState {
  /** Tokens with a lower version are refused; 0 when nothing was ever ended. */
  version: number;
  endedSessions: ReadonlySet<string>;
}

const VERSION_FIELD = 'v';
const SESSION_FIELD = 's:';

// KEYS[1] the user's hash; ARGV: now (ms), hash lifetime (ms), field, value, announcement channel,
// user id. The version only grows (replicas may publish the same or an older one late); sessions
// whose token has expired are dropped; the lifetime is only ever extended; the write is announced
// in the same step, so a gateway told of it reads the hash with the write in it.
const WRITE_SCRIPT = `
local now = tonumber(ARGV[1])
if ARGV[3] == '${VERSION_FIELD}' then
  local current = tonumber(redis.call('hget', KEYS[1], '${VERSION_FIELD}') or '-1')
  if tonumber(ARGV[4]) > current then redis.call('hset', KEYS[1], '${VERSION_FIELD}', ARGV[4]) end
else
  redis.call('hset', KEYS[1], ARGV[3], ARGV[4])
end
local fields = redis.call('hgetall', KEYS[1])
for i = 1, #fields, 2 do
  if string.sub(fields[i], 1, 2) == '${SESSION_FIELD}' and tonumber(fields[i + 1]) <= now then
    redis.call('hdel', KEYS[1], fields[i])
  end
end
if redis.call('pttl', KEYS[1]) < tonumber(ARGV[2]) then redis.call('pexpire', KEYS[1], ARGV[2]) end
redis.call('publish', ARGV[5], ARGV[6])
return 1
`;

export interface SessionStoreOptions {
  redis: RedisClient;
  keyPrefix: string;
  /** The access tokens' lifetime: how long an ended session must be remembered. */
  tokenTtlMs: number;
}

/** Raises the user's token version in Redis to `version` (never lowers it): every older token is refused. */
export async function publishTokenVersion({ redis, keyPrefix, tokenTtlMs }: SessionStoreOptions, userId: string, version: number): Promise<void> {
  await redis.eval(WRITE_SCRIPT, 1, sessionKey(keyPrefix, userId), Date.now(), tokenTtlMs, VERSION_FIELD, version, sessionEndsChannel(keyPrefix), userId);
}

/** Ends one session (one sign-in) of the user: its token, valid until `expiresAt`, is refused. */
export async function publishEndedSession(
  { redis, keyPrefix, tokenTtlMs }: SessionStoreOptions,
  userId: string,
  sessionId: string,
  expiresAt: number,
): Promise<void> {
  await redis.eval(
    WRITE_SCRIPT,
    1,
    sessionKey(keyPrefix, userId),
    Date.now(),
    tokenTtlMs,
    `${SESSION_FIELD}${sessionId}`,
    expiresAt,
    sessionEndsChannel(keyPrefix),
    userId,
  );
}

/** The user's session state as Redis has it. Throws when Redis does not answer. */
export async function readSessionState(redis: RedisClient, keyPrefix: string, userId: string): Promise<SessionState> {
  const fields = await redis.hgetall(sessionKey(keyPrefix, userId));
  const endedSessions = new Set<string>();
  for (const field of Object.keys(fields)) {
    if (field.startsWith(SESSION_FIELD)) endedSessions.add(field.slice(SESSION_FIELD.length));
  }
  return { version: Number(fields[VERSION_FIELD] ?? 0), endedSessions };
}

/** Whether a token of `session` is still good under `state`. */
export const sessionIsLive = (state: SessionState, session: { id: string; version: number }) =>
  session.version >= state.version && !state.endedSessions.has(session.id);

/**
 * The code of an answer that needs the session store (Redis) while it is unreachable: the gateway
 * refuses bearer tokens it cannot check (HTTP 503) rather than honour ended sessions, and
 * `logout` fails rather than pretend.
 */
export const SESSIONS_UNAVAILABLE = 'SESSIONS_UNAVAILABLE';

export const sessionsUnavailable = () =>
  new GraphQLError('Sessions cannot be checked right now; try again shortly.', { extensions: { code: SESSIONS_UNAVAILABLE } });
