import { describe, expect, it } from 'vitest';
import { Rejection } from '../../src/domain/errors.js';
import { canonicalClaims, checkClaims, checkPeerUrl, MAX_CLOCK_SKEW_MS, nonceExpiry, NONCE_TTL_MS, parseClaims, type FederationClaims } from '../../src/domain/federation.js';
import { confirmRemoteAcceptance, proposeRemoteLink, receiveRemoteProposal, type RemoteProposal } from '../../src/domain/remote-links.js';

/*
 * The pure parts of federation across deployments: what a signature covers, how a receiver
 * checks it against the request and its clock, which peer URLs may be linked to, and the rules
 * of each side of a link with a peer elsewhere.
 */

const NOW = new Date('2026-03-01T12:00:00.000Z');
const DIGEST = 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg';
const claims: FederationClaims = {
  method: 'POST',
  path: '/v1/federation/links/019a1f30-1000-7a01-8b02-c3d4e5f60718/status',
  bodySha256: DIGEST,
  timestamp: NOW.getTime() / 1000,
  nonce: 'k3vQ0e8pXc1mZr7TtJxN2a',
  senderUrl: 'https://riverside.example',
};
const received = { method: claims.method, path: claims.path, bodySha256: claims.bodySha256, senderUrl: claims.senderUrl };
const codeOf = (rejection: Rejection | undefined) => rejection?.code;

describe('the signing input', () => {
  it('is the claims in one order whatever order they were built in, and reads back the same', () => {
    const shuffled = Object.fromEntries(Object.entries(claims).reverse()) as FederationClaims;
    expect(canonicalClaims(shuffled)).toBe(canonicalClaims(claims));
    expect(canonicalClaims(claims)).toBe(
      '{"method":"POST","path":"/v1/federation/links/019a1f30-1000-7a01-8b02-c3d4e5f60718/status","bodySha256":"n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg","timestamp":1772366400,"nonce":"k3vQ0e8pXc1mZr7TtJxN2a","senderUrl":"https://riverside.example"}',
    );
    expect(parseClaims(canonicalClaims(claims))).toEqual(claims);
  });

  it('is refused when it is not a federation request\'s: missing or extra claims, wrong types, a short nonce', () => {
    const text = (value: unknown) => JSON.stringify(value);
    expect(parseClaims('not json')).toBeUndefined();
    expect(parseClaims(text([claims]))).toBeUndefined();
    expect(parseClaims(text({ ...claims, nonce: undefined }))).toBeUndefined();
    expect(parseClaims(text({ ...claims, extra: 1 }))).toBeUndefined();
    expect(parseClaims(text({ ...claims, timestamp: '1772366400' }))).toBeUndefined();
    expect(parseClaims(text({ ...claims, timestamp: 1772366400.5 }))).toBeUndefined();
    expect(parseClaims(text({ ...claims, nonce: 'short' }))).toBeUndefined();
    expect(parseClaims(text({ ...claims, bodySha256: 'abc' }))).toBeUndefined();
  });
});

describe('a receiver\'s check of verified claims', () => {
  it('passes this very request, signed now or up to 5 minutes either way', () => {
    expect(checkClaims(claims, received, NOW)).toBeUndefined();
    expect(checkClaims(claims, received, new Date(NOW.getTime() + MAX_CLOCK_SKEW_MS))).toBeUndefined();
    expect(checkClaims(claims, received, new Date(NOW.getTime() - MAX_CLOCK_SKEW_MS))).toBeUndefined();
    // A proposal: any sender, which is then checked against the key it publishes.
    expect(checkClaims(claims, { ...received, senderUrl: undefined }, NOW)).toBeUndefined();
  });

  it('refuses a signature made for another method, path, body or sender', () => {
    expect(codeOf(checkClaims(claims, { ...received, method: 'GET' }, NOW))).toBe('signature_invalid');
    expect(codeOf(checkClaims(claims, { ...received, path: `${claims.path}?x=1` }, NOW))).toBe('signature_invalid');
    expect(codeOf(checkClaims(claims, { ...received, bodySha256: DIGEST.replace('n', 'm') }, NOW))).toBe('signature_invalid');
    expect(codeOf(checkClaims(claims, { ...received, senderUrl: 'https://elsewhere.example' }, NOW))).toBe('signature_invalid');
  });

  it('refuses a timestamp more than 5 minutes away from its clock, either way', () => {
    for (const offset of [MAX_CLOCK_SKEW_MS + 1000, -(MAX_CLOCK_SKEW_MS + 1000), 86_400_000]) {
      expect(codeOf(checkClaims(claims, received, new Date(NOW.getTime() + offset)))).toBe('timestamp_out_of_range');
    }
  });

  it('remembers a nonce longer than any message carrying it can pass the timestamp check', () => {
    expect(nonceExpiry(NOW).getTime() - NOW.getTime()).toBe(NONCE_TTL_MS);
    // Received at the latest moment its timestamp passes, a replay once the nonce is forgotten
    // is already past the window.
    const receivedAt = claims.timestamp * 1000 - MAX_CLOCK_SKEW_MS;
    const forgotten = new Date(receivedAt + NONCE_TTL_MS + 1);
    expect(codeOf(checkClaims(claims, received, forgotten))).toBe('timestamp_out_of_range');
  });
});

describe('a peer URL', () => {
  const allowed = new Set(['127.0.0.1']);
  const fieldOf = (value: string) => {
    try {
      checkPeerUrl(value, new Set());
      return undefined;
    } catch (error) {
      return ((error as Rejection).extensions.errors as Array<{ field: string; message: string }>)[0];
    }
  };

  it('is written one way: lower-case host, no trailing slash', () => {
    expect(checkPeerUrl('https://Hillside.Example/', new Set())).toBe('https://hillside.example');
    expect(checkPeerUrl('https://hillside.example/timebank//', new Set())).toBe('https://hillside.example/timebank');
    expect(checkPeerUrl('http://127.0.0.1:4100', allowed)).toBe('http://127.0.0.1:4100');
  });

  it('follows the webhook host rules, with FEDERATION_ALLOW_HOSTS named, and has no query', () => {
    expect(fieldOf('http://hillside.example')).toEqual({ field: 'peerUrl', location: 'body', message: 'must be https (http only for hosts in FEDERATION_ALLOW_HOSTS)' });
    for (const value of ['https://10.0.0.5', 'https://127.0.0.1:4100', 'https://[::1]', 'https://169.254.169.254', 'https://localhost']) {
      expect(fieldOf(value), value).toEqual({ field: 'peerUrl', location: 'body', message: 'must not point at a private, loopback or link-local address' });
    }
    expect(fieldOf('https://user:secret@hillside.example')?.message).toBe('must not carry credentials');
    expect(fieldOf('https://hillside.example?tb=1')?.message).toBe('must not have a query');
    expect(fieldOf('hillside.example')?.message).toBe('must be an absolute URL');
  });
});

describe('each side of a link with a peer elsewhere', () => {
  const ids = { local: 'link-here', localClearing: 'clearing-here' };
  const proposal: RemoteProposal = {
    senderUrl: 'https://riverside.example',
    timebankId: 'riverside',
    timebankName: 'Riverside',
    linkId: 'link-there',
    peerTimebankId: 'hillside',
    maxOwedByUsMinutes: 600,
    maxOwedToUsMinutes: 300,
  };

  it('is proposed with the proposer\'s limits, and received with them seen from the other side', () => {
    const proposed = proposeRemoteLink({ timebankId: 'riverside', peerTimebankId: 'hillside', peerUrl: 'https://hillside.example', ids, maxOwedByUsMinutes: 600, maxOwedToUsMinutes: 300, now: NOW });
    expect(proposed).toMatchObject({ status: 'proposed', proposedByUs: true, peerLinkId: null, peerUrl: 'https://hillside.example', maxOwedByUsMinutes: 600, maxOwedToUsMinutes: 300 });
    const { link, created } = receiveRemoteProposal(undefined, { proposal, ids, now: NOW });
    expect(created).toBe(true);
    expect(link).toMatchObject({ timebankId: 'hillside', peerTimebankId: 'riverside', peerLinkId: 'link-there', peerUrl: 'https://riverside.example', status: 'proposed', proposedByUs: false, maxOwedByUsMinutes: 300, maxOwedToUsMinutes: 600 });
  });

  it('renews a proposal still waiting from the same peer, and refuses one over a link that exists', () => {
    const first = receiveRemoteProposal(undefined, { proposal, ids, now: NOW }).link;
    const renewed = receiveRemoteProposal(first, { proposal: { ...proposal, linkId: 'link-there-again', maxOwedByUsMinutes: 60 }, ids: { local: 'other', localClearing: 'other' }, now: NOW });
    expect(renewed).toEqual({ link: { ...first, peerLinkId: 'link-there-again', maxOwedToUsMinutes: 60 }, created: false });
    for (const existing of [{ ...first, status: 'active' as const }, { ...first, proposedByUs: true }]) {
      expect(() => receiveRemoteProposal(existing, { proposal, ids, now: NOW })).toThrow(expect.objectContaining({ code: 'link_exists' }));
    }
  });

  it('becomes active on the proposer\'s side when its peer accepts, once, and only from the link it proposed to', () => {
    const proposed = { ...proposeRemoteLink({ timebankId: 'riverside', peerTimebankId: 'hillside', peerUrl: 'https://hillside.example', ids, maxOwedByUsMinutes: 600, maxOwedToUsMinutes: 300, now: NOW }), peerLinkId: 'link-there' };
    const later = new Date(NOW.getTime() + 60_000);
    const accepted = confirmRemoteAcceptance(proposed, 'link-there', later);
    expect(accepted).toEqual({ link: { ...proposed, status: 'active', updatedAt: later }, changed: true });
    expect(confirmRemoteAcceptance(accepted.link, 'link-there', later)).toEqual({ link: accepted.link, changed: false });
    expect(() => confirmRemoteAcceptance(proposed, 'another-link', later)).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(() => confirmRemoteAcceptance({ ...proposed, proposedByUs: false }, 'link-there', later)).toThrow(expect.objectContaining({ code: 'forbidden' }));
  });
});
