import { notFound, Rejection } from '../../domain/errors.js';
import { checkClaims, checkPeerUrl, nonceExpiry, type FederationClaims, type PeerPublicKey } from '../../domain/federation.js';
import type { Db } from '../../db/client.js';
import { findRemoteLink, recordNonce } from '../../db/queries/federation.js';
import type { LinkRow } from '../../db/schema.js';
import { fetchPublishedKey, type Federation } from './client.js';
import { peerKeyOf } from './keys.js';
import { verifySignature } from './signing.js';
import type { ProposalSender } from './remote-links.js';

/*
 * Every federation request received is checked here before anything is done with it: its
 * signature with the sender's key, that it signs this very request, its timestamp, and its
 * nonce. A request refused changes nothing; the nonce of one accepted is remembered, so that
 * the same request sent again is refused.
 */

/** A request as received: its signature header, method, path and query, and the SHA-256 of its body. */
export type Received = { signature: string | undefined; method: string; path: string; bodySha256: string };

type Sender = { publicJwk: PeerPublicKey; keyId: string; senderUrl?: string | undefined };

async function verifyFrom(db: Db, received: Received, sender: Sender, now: Date): Promise<FederationClaims> {
  const claims = await verifySignature(received.signature, sender.publicJwk);
  const refused = checkClaims(claims, { method: received.method, path: received.path, bodySha256: received.bodySha256, senderUrl: sender.senderUrl }, now);
  if (refused) throw refused;
  if (!(await recordNonce(db, sender.keyId, claims.nonce, nonceExpiry(now)))) {
    throw new Rejection('nonce_replayed', 'This request was received already (its nonce was seen in the last 10 minutes): a replay is refused. Sign each request anew.');
  }
  return claims;
}

/** A message on a link: verified with the key kept for the link's peer, and from that peer's URL. */
export async function verifyLinkMessage(db: Db, received: Received, linkId: string, now: Date): Promise<LinkRow> {
  const link = await findRemoteLink(db, linkId);
  if (!link?.peerPublicKey || !link.peerKeyId || !link.peerUrl) throw notFound('Link');
  await verifyFrom(db, received, { publicJwk: link.peerPublicKey, keyId: link.peerKeyId, senderUrl: link.peerUrl }, now);
  return link;
}

/**
 * A proposal: verified with the key it carries, which must be the key its sender publishes at
 * the URL it signed as. So a proposal cannot be made in another deployment's name, and the URL
 * it names is one this deployment may send to (the host rules and FEDERATION_ALLOW_HOSTS).
 */
export async function verifyProposal(db: Db, federation: Federation, received: Received, publicKeyJwk: unknown, now: Date): Promise<ProposalSender> {
  const key = await peerKeyOf(publicKeyJwk);
  if (!key) throw new Rejection('signature_invalid', 'The proposal carries no Ed25519 public key to verify it with.');
  const claims = await verifyFrom(db, received, key, now);
  let senderUrl: string;
  try {
    senderUrl = checkPeerUrl(claims.senderUrl, federation.allowedHosts, 'senderUrl');
  } catch {
    throw new Rejection('signature_invalid', `The proposal is signed as ${claims.senderUrl}, which this deployment may not link with (it must be https, and not a private address unless FEDERATION_ALLOW_HOSTS names it).`);
  }
  let published: Awaited<ReturnType<typeof fetchPublishedKey>>;
  try {
    published = await fetchPublishedKey(federation, senderUrl, now);
  } catch (error) {
    if (!(error instanceof Rejection)) throw error;
    throw new Rejection('signature_invalid', `The key of the proposal could not be checked against the one ${senderUrl} publishes: ${error.detail}`);
  }
  if (published.keyId !== key.keyId) throw new Rejection('signature_invalid', `The proposal is signed with another key than the one ${senderUrl} publishes.`);
  return { senderUrl, publicJwk: key.publicJwk, keyId: key.keyId };
}
