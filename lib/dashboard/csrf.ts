/**
 * CSRF protection for the dashboard's actions (synchronizer token): each browser gets a random
 * session id in an HttpOnly, SameSite=Strict cookie scoped to the dashboard's path; its forms
 * carry HMAC(secret, session id). A POST passes only with both, and never from a cross-site
 * context (Sec-Fetch-Site). A form from another site can neither read the token nor send the cookie.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'resque_dashboard_sid';

export class CsrfTokens {
  private readonly secret: Buffer;

  constructor(secret?: string) {
    this.secret = secret ? Buffer.from(secret, 'utf8') : randomBytes(32);
  }

  newSession(): string {
    return randomBytes(18).toString('base64url');
  }

  tokenFor(session: string): string {
    return createHmac('sha256', this.secret).update(session).digest('base64url');
  }

  verify(session: string | undefined, token: unknown): boolean {
    if (!session || typeof token !== 'string' || token === '') return false;
    const expected = Buffer.from(this.tokenFor(session));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/** A cookie's value from a Cookie header, or undefined. */
export function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : header ?? '';
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{1,64}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

export function sessionCookie(value: string, path: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=${path}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}
