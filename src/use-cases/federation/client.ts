import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { DECISION_HEADER, federationPaths, type PeerPublicKey } from '../../domain/federation.js';
import { Rejection } from '../../domain/errors.js';
import { checkResolved, type AllowedHosts } from '../../domain/webhooks.js';
import { loadFederationKey, peerKeyOf, type FederationKey } from './keys.js';
import { SIGNATURE_HEADER, signRequest } from './signing.js';

/*
 * Requests to a linked deployment: signed, sent with fetch under a deadline, never following a
 * redirect, and only to an address the host rules allow. The answer is the peer's JSON body, or
 * a problem saying that the peer could not be reached (502) or refused (422, with its reason).
 */

/** This deployment as a sender: its key, its base URL, and the hosts exempt from the address rules. */
export type Federation = {
  key: FederationKey;
  publicUrl: string;
  allowedHosts: AllowedHosts;
  /** How long a peer has to answer one request. */
  timeoutMs: number;
  /** How long a prepared leg waits for its commit before both sides cancel it. */
  prepareTimeoutMinutes: number;
};

export const PEER_TIMEOUT_MS = 10_000;

/**
 * This deployment as a sender, from its settings (config.federation) and data directory. Its
 * URL is written as peers store it (lower-case host, no trailing slash), so that the sender URL
 * its requests sign is the one they compare with.
 */
export async function startFederation(
  settings: { publicUrl: string; privateKeyPem?: string | undefined; allowHosts: string[]; prepareTimeoutMinutes?: number | undefined } | undefined,
  dataDir: string | undefined,
): Promise<Federation> {
  const key = await loadFederationKey({ privateKeyPem: settings?.privateKeyPem, dataDir });
  const url = new URL(settings?.publicUrl ?? 'http://localhost');
  return { key, publicUrl: `${url.origin}${url.pathname}`.replace(/\/+$/, ''), allowedHosts: new Set(settings?.allowHosts ?? []), timeoutMs: PEER_TIMEOUT_MS, prepareTimeoutMinutes: settings?.prepareTimeoutMinutes ?? 10 };
}

/** A bounded answer: what the protocol answers is small, and a peer cannot make this process read more. */
const MAX_ANSWER_BYTES = 64 * 1024;

function unreachable(peerUrl: string, why: string): Rejection {
  return new Rejection('peer_unreachable', `The deployment at ${peerUrl} could not be reached (${why}): nothing was changed.`);
}

/** The host's addresses must be public, unless it is allowed: checked before each request. */
async function checkAddresses(peerUrl: string, url: URL, allowed: AllowedHosts): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = ipaddr.isValid(host) ? [host] : (await lookup(host, { all: true })).map((each) => each.address);
  } catch {
    throw unreachable(peerUrl, `${host} does not resolve`);
  }
  const refused = checkResolved(host, addresses, allowed);
  if (refused) throw unreachable(peerUrl, refused);
}

/** The body read chunk by chunk, and given up (undefined) as soon as it passes `maxBytes`: a peer cannot make this process hold more. */
async function readAnswer(response: Response, maxBytes: number): Promise<unknown> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += (chunk as Uint8Array).byteLength;
    // Leaving the loop cancels the stream: the rest is never read.
    if (size > maxBytes) return undefined;
    chunks.push(chunk as Uint8Array);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The answer of a refusal: the peer's problem, passed on; anything else is not the protocol. */
function refusal(peerUrl: string, response: Response, answer: unknown): Rejection {
  const { status } = response;
  const problem = answer as { code?: unknown; detail?: unknown } | undefined;
  if (status >= 400 && status < 500 && typeof problem?.code === 'string' && typeof problem.detail === 'string') {
    const peerProblem = { status, code: problem.code.slice(0, 100), detail: problem.detail.slice(0, 1000) };
    // Not part of the problem shown to callers: whether the peer decided the refusal and keeps it.
    const decided = response.headers.get(DECISION_HEADER) === 'refused';
    return Object.assign(new Rejection('peer_refused', `The deployment at ${peerUrl} refused: ${peerProblem.detail}`, { peerProblem }), { decided });
  }
  return unreachable(peerUrl, `it answered ${status}`);
}

/**
 * Sends one request to `peerUrl` + `path`, signed unless `signed` is false; the JSON body of its
 * 2xx answer, of at most `maxAnswerBytes` (64 KiB unless the request says more).
 */
export async function sendToPeer(
  federation: Federation,
  peerUrl: string,
  request: { method: 'GET' | 'POST'; path: string; body?: unknown; now: Date; signed?: boolean; maxAnswerBytes?: number },
): Promise<unknown> {
  const url = new URL(`${peerUrl}${request.path}`);
  await checkAddresses(peerUrl, url, federation.allowedHosts);
  const body = request.body === undefined ? '' : JSON.stringify(request.body);
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'timebank-federation/1' };
  if (body !== '') headers['content-type'] = 'application/json';
  if (request.signed !== false) {
    headers[SIGNATURE_HEADER] = await signRequest(federation.key, { method: request.method, path: url.pathname + url.search, body, senderUrl: federation.publicUrl, now: request.now });
  }
  let response: Response;
  let answer: unknown;
  try {
    response = await fetch(url, { method: request.method, headers, body: body === '' ? undefined : body, redirect: 'manual', signal: AbortSignal.timeout(federation.timeoutMs) });
    answer = await readAnswer(response, request.maxAnswerBytes ?? MAX_ANSWER_BYTES);
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    throw unreachable(peerUrl, timedOut ? `no answer within ${federation.timeoutMs / 1000} s` : 'the connection failed');
  }
  if (response.status < 200 || response.status >= 300) throw refusal(peerUrl, response, answer);
  if (answer === undefined) throw unreachable(peerUrl, 'its answer is not JSON');
  return answer;
}

/** The key a deployment publishes at its federation key route (unsigned: anyone may read it). */
export async function fetchPublishedKey(federation: Federation, peerUrl: string, now: Date): Promise<{ publicJwk: PeerPublicKey; keyId: string }> {
  const answer = (await sendToPeer(federation, peerUrl, { method: 'GET', path: federationPaths.key, now, signed: false })) as { publicKeyJwk?: unknown };
  const published = await peerKeyOf(answer.publicKeyJwk);
  if (!published) throw unreachable(peerUrl, 'it publishes no Ed25519 key');
  return published;
}
