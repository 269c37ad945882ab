import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `clsa_<prefix>_<secret>`. The prefix is public (stored in clear, shown in
 * lists, used to find the row); the secret is 256 random bits, so a plain SHA-256 is enough to
 * store it (no password-style stretching needed for machine-generated secrets).
 */
const PREFIX_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const TOKEN_PATTERN = /^clsa_([a-z2-9]{12})_([A-Za-z0-9_-]{43})$/;

export interface IssuedToken {
  prefix: string;
  secretHash: string;
  token: string;
}

export interface ParsedToken {
  prefix: string;
  secret: string;
}

function randomPrefix(): string {
  const bytes = randomBytes(12);
  return Array.from(bytes, (b) => PREFIX_ALPHABET[b % PREFIX_ALPHABET.length]).join('');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function issueToken(): IssuedToken {
  const prefix = randomPrefix();
  const secret = randomBytes(32).toString('base64url');
  return { prefix, secretHash: hashSecret(secret), token: `clsa_${prefix}_${secret}` };
}

export function parseToken(token: string): ParsedToken | null {
  const match = TOKEN_PATTERN.exec(token);
  if (match === null) return null;
  return { prefix: match[1] ?? '', secret: match[2] ?? '' };
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
