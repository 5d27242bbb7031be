import { invalidField, Rejection } from './errors.js';
import { checkWebhookUrl, type AllowedHosts } from './webhooks.js';

/*
 * Federation across deployments (docs/federation.md, "Across deployments"): what a signed
 * request says, how a receiver checks it against the request it came with, and which peer URLs
 * may be linked to. Pure: signing, verifying and sending are the shell's (use-cases/federation).
 */

/** A receiver refuses a request signed further than this from its own clock, either way. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * A nonce is remembered this long: longer than a message can pass the timestamp check (twice
 * the skew), so that a message replayed later is refused by one check or the other.
 */
export const NONCE_TTL_MS = 10 * 60_000;

/** An Ed25519 public key as a JWK (RFC 8037). */
export type PeerPublicKey = { kty: 'OKP'; crv: 'Ed25519'; x: string };

/** What a federation request's signature covers: the JWS payload. */
export type FederationClaims = {
  method: string;
  /** The path and query as sent, from the first slash. */
  path: string;
  /** SHA-256 of the body's bytes, base64url (of the empty string for a request without one). */
  bodySha256: string;
  /** When it was signed, in seconds since the epoch. */
  timestamp: number;
  nonce: string;
  /** The sending deployment's base URL (its PUBLIC_URL). */
  senderUrl: string;
};

/** Where each federation message goes, below a deployment's base URL. */
/**
 * Set on a refusal the receiver decided and keeps as the message's answer (a PREPARE refused):
 * the sender may act on it. Any other refusal (a signature, a route or a body it cannot read)
 * decides nothing about the transfer.
 */
export const DECISION_HEADER = 'federation-decision';

export const federationPaths = {
  key: '/v1/federation/key',
  links: '/v1/federation/links',
  accept: (linkId: string) => `/v1/federation/links/${linkId}/accept`,
  status: (linkId: string) => `/v1/federation/links/${linkId}/status`,
  balance: (linkId: string) => `/v1/federation/links/${linkId}/balance`,
  prepare: (linkId: string) => `/v1/federation/links/${linkId}/transfers`,
  commit: (linkId: string, transferId: string) => `/v1/federation/links/${linkId}/transfers/${transferId}/commit`,
};

const CLAIM_ORDER = ['method', 'path', 'bodySha256', 'timestamp', 'nonce', 'senderUrl'] as const;

/** The payload signed: the claims as JSON in one fixed order, so that both sides read the same bytes. */
export function canonicalClaims(claims: FederationClaims): string {
  return JSON.stringify(Object.fromEntries(CLAIM_ORDER.map((name) => [name, claims[name]])));
}

const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const DIGEST = /^[A-Za-z0-9_-]{43}$/;

/** The claims of a verified payload, or undefined when it is not a federation request's. */
export function parseClaims(text: string): FederationClaims | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const claims = value as Record<string, unknown>;
  if (Object.keys(claims).length !== CLAIM_ORDER.length) return undefined;
  const texts = ['method', 'path', 'bodySha256', 'nonce', 'senderUrl'].every((name) => typeof claims[name] === 'string');
  if (!texts || !Number.isSafeInteger(claims.timestamp)) return undefined;
  if (!NONCE.test(claims.nonce as string) || !DIGEST.test(claims.bodySha256 as string)) return undefined;
  return claims as FederationClaims;
}

/** The request as the receiver got it, and the sender it expects (absent: any, as for a proposal). */
export type ReceivedRequest = { method: string; path: string; bodySha256: string; senderUrl?: string | undefined };

/**
 * Whether verified claims are this request's and fresh: the signature must cover this method,
 * path and body (a signature lifted onto another request is refused), come from the expected
 * sender, and be no more than MAX_CLOCK_SKEW_MS away from `now`.
 */
export function checkClaims(claims: FederationClaims, received: ReceivedRequest, now: Date): Rejection | undefined {
  if (claims.method !== received.method || claims.path !== received.path || claims.bodySha256 !== received.bodySha256) {
    return new Rejection('signature_invalid', 'The signature was made for another request: its method, path or body differ from this one\'s.');
  }
  if (received.senderUrl !== undefined && claims.senderUrl !== received.senderUrl) {
    return new Rejection('signature_invalid', 'The signature names another sender than the deployment this link is with.');
  }
  if (Math.abs(now.getTime() - claims.timestamp * 1000) > MAX_CLOCK_SKEW_MS) {
    return new Rejection('timestamp_out_of_range', 'The request was signed more than 5 minutes away from this deployment\'s clock: check both clocks, and sign each request when it is sent.');
  }
  return undefined;
}

/** Until when a nonce received at `now` is remembered. */
export function nonceExpiry(now: Date): Date {
  return new Date(now.getTime() + NONCE_TTL_MS);
}

/**
 * A linked deployment's base URL as given: the webhook host rules (https, no credentials, no
 * private, loopback or link-local address unless FEDERATION_ALLOW_HOSTS names the host), no
 * query, and no trailing slash, so that one deployment is written one way.
 */
export function checkPeerUrl(value: string, allowed: AllowedHosts, field = 'peerUrl'): string {
  const url = checkWebhookUrl(value, allowed, field, 'FEDERATION_ALLOW_HOSTS');
  if (url.search !== '') throw invalidField('body', field, 'must not have a query');
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}
