import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';

/*
 * Passwords and client secrets are stored as argon2id hashes with OWASP's recommended
 * parameters (19 MiB, 2 passes, 1 lane): memory-hard, and about 20 ms on one core.
 */
const hashOptions = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export function hashSecret(secret: string): Promise<string> {
  return argon2.hash(secret, hashOptions);
}

// Verifying against this when there is no such user keeps the response time the same, so
// timing does not tell which emails are registered.
let decoyHash: Promise<string> | undefined;

export async function verifySecret(hash: string | null | undefined, secret: string): Promise<boolean> {
  if (!hash) {
    decoyHash ??= hashSecret(randomBytes(16).toString('hex'));
    await argon2.verify(await decoyHash, secret);
    return false;
  }
  try {
    return await argon2.verify(hash, secret);
  } catch {
    return false;
  }
}

/** A partner client's secret: 256 random bits, shown once at creation. */
export function generateClientSecret(): string {
  return `tbsec_${randomBytes(32).toString('base64url')}`;
}
