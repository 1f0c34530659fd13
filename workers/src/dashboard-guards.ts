import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';

/**
 * The cookie and header bull-board's client already speaks: its axios copies the `XSRF-TOKEN`
 * cookie into an `X-XSRF-TOKEN` header on every same-origin request, and only there.
 */
export const XSRF_COOKIE = 'XSRF-TOKEN';
export const XSRF_HEADER = 'x-xsrf-token';

/** The dashboard is never shown inside another page (clickjacking). */
export const antiFraming: RequestHandler = (_req, res, next) => {
  res.set({
    'x-frame-options': 'DENY',
    'content-security-policy': "frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  next();
};

function cookieOf(req: Request, name: string): string | undefined {
  for (const pair of (req.get('cookie') ?? '').split(';')) {
    const [key, ...value] = pair.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** True when the browser says the request comes from a page of this very origin. */
function fromThisOrigin(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = req.get('origin');
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.get('host');
  } catch {
    return false;
  }
}

/**
 * Cross-site request forgery: the browser adds the cached basic-auth credentials to any request,
 * including a form or `text/plain` POST from another site. Every request but GET and HEAD must
 * come from this origin (Sec-Fetch-Site, Origin) and carry the `X-XSRF-TOKEN` header equal to the
 * `XSRF-TOKEN` cookie: a simple (un-preflighted) request cannot set that header, and another
 * origin cannot read the cookie. Reads hand the cookie out; mount after authentication.
 */
export const sameOriginWrites: RequestHandler = (req, res, next) => {
  const cookie = cookieOf(req, XSRF_COOKIE);
  if (req.method === 'GET' || req.method === 'HEAD') {
    if (!cookie || !TOKEN.test(cookie)) {
      res.append(
        'set-cookie',
        `${XSRF_COOKIE}=${randomBytes(32).toString('base64url')}; Path=${req.baseUrl || '/'}; SameSite=Strict${req.secure ? '; Secure' : ''}`,
      );
    }
    return next();
  }
  const header = req.get(XSRF_HEADER);
  const tokenMatches =
    cookie !== undefined && header !== undefined && TOKEN.test(cookie) && TOKEN.test(header) && timingSafeEqual(Buffer.from(cookie), Buffer.from(header));
  if (!fromThisOrigin(req) || !tokenMatches) {
    req.log?.warn({ origin: req.get('origin'), site: req.get('sec-fetch-site'), tokenMatches }, 'refused a dashboard write not from the dashboard');
    res.status(403).type('text').send('Changes are accepted only from the dashboard itself.');
    return;
  }
  next();
};
