import { createHash, randomBytes } from 'node:crypto';
import { CompactSign, compactVerify, importJWK } from 'jose';
import { canonicalClaims, parseClaims, type FederationClaims, type PeerPublicKey } from '../../domain/federation.js';
import { Rejection } from '../../domain/errors.js';
import type { FederationKey } from './keys.js';

/*
 * Signed federation requests: a compact JWS (EdDSA) over the request's claims
 * (domain/federation.ts), sent in the Federation-Signature header. jose does the cryptography.
 */

export const SIGNATURE_HEADER = 'federation-signature';

/** The JWS type of a federation request's signature, so that no other JWS of the key passes for one. */
const JWS_TYPE = 'timebank-federation+jws';

/** SHA-256 of a body's bytes, base64url. */
export function sha256(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('base64url');
}

export type Outgoing = { method: string; path: string; body: string; senderUrl: string; now: Date; nonce?: string };

/** The Federation-Signature of one request: signed now, with a fresh nonce unless one is given. */
export async function signRequest(key: FederationKey, request: Outgoing): Promise<string> {
  const claims: FederationClaims = {
    method: request.method,
    path: request.path,
    bodySha256: sha256(request.body),
    timestamp: Math.floor(request.now.getTime() / 1000),
    nonce: request.nonce ?? randomBytes(16).toString('base64url'),
    senderUrl: request.senderUrl,
  };
  return new CompactSign(new TextEncoder().encode(canonicalClaims(claims)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.keyId, typ: JWS_TYPE })
    .sign(key.privateKey);
}

const invalid = (detail: string) => new Rejection('signature_invalid', detail);

/** The claims a signature makes, once it is verified with `publicKey`; signature_invalid otherwise. */
export async function verifySignature(signature: string | undefined, publicKey: PeerPublicKey): Promise<FederationClaims> {
  if (signature === undefined || signature === '') throw invalid(`A federation request must carry its signature in the ${SIGNATURE_HEADER} header.`);
  let verified: Awaited<ReturnType<typeof compactVerify>>;
  try {
    verified = await compactVerify(signature, await importJWK(publicKey, 'EdDSA'), { algorithms: ['EdDSA'] });
  } catch {
    throw invalid('The signature does not verify with the key this deployment holds for the sender.');
  }
  const claims = verified.protectedHeader.typ === JWS_TYPE ? parseClaims(new TextDecoder().decode(verified.payload)) : undefined;
  if (!claims) throw invalid('The signature verifies, but what it signs is not a federation request.');
  return claims;
}
