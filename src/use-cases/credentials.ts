import { randomBytes } from 'node:crypto';
import { hash, verify, type Options } from '@node-rs/argon2';

/*
 * Passwords and client secrets are stored as argon2id hashes with OWASP's recommended
 * parameters (19 MiB, 2 passes, 1 lane): memory-hard, and about 20 ms on one core.
 */
const ARGON2ID = 2; // Algorithm.Argon2id, a const enum that isolated modules cannot import.
const hashOptions: Options = {
  algorithm: ARGON2ID,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

export function hashSecret(secret: string): Promise<string> {
  return hash(secret, hashOptions);
}

// Verifying against this when there is no such user keeps the response time the same, so
// timing does not tell which emails are registered.
let decoyHash: Promise<string> | undefined;

export async function verifySecret(storedHash: string | null | undefined, secret: string): Promise<boolean> {
  if (!storedHash) {
    decoyHash ??= hashSecret(randomBytes(16).toString('hex'));
    await verify(await decoyHash, secret);
    return false;
  }
  try {
    return await verify(storedHash, secret);
  } catch {
    return false;
  }
}

/** A partner client's secret: 256 random bits, shown once at creation. */
export function generateClientSecret(): string {
  return `tbsec_${randomBytes(32).toString('base64url')}`;
}
