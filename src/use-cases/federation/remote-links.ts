import { changedFields, type Acting } from '../../domain/audit.js';
import { invalidField, notFound, Rejection } from '../../domain/errors.js';
import { checkPeerUrl, federationPaths, type PeerPublicKey } from '../../domain/federation.js';
import { acceptSide, DEFAULT_LINK_LIMIT_MINUTES, type LinkSide, type LinkStatus } from '../../domain/links.js';
import { confirmRemoteAcceptance, proposeRemoteLink, receiveRemoteProposal, type RemoteProposal } from '../../domain/remote-links.js';
import type { Db } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { clearingBalance, lockRemoteSide, lockSideWithPeer, setPeerDetails } from '../../db/queries/federation.js';
import { findTimebank } from '../../db/queries/timebanks.js';
import type { LinkRow } from '../../db/schema.js';
import { appendAudit } from '../audit.js';
import { newId } from '../ids.js';
import { limitsOf, linkExists, updateClearingLimits, updateSide, writeSide } from '../link-rows.js';
import { sendToPeer, type Federation } from './client.js';
import { peerKeyOf } from './keys.js';

/*
 * Links with a timebank of another deployment (docs/federation.md, "Across deployments"). Each
 * deployment writes its own side only. A change that needs the peer's word (a proposal, an
 * acceptance) is sent, signed, inside the transaction that writes it, and commits only once
 * the peer has answered: a peer that cannot be reached or refuses leaves nothing written here.
 * Messages received are verified first (verify.ts) and audited with no actor (the system).
 */

export type RemoteLinkProposal = { peerUrl: string; peerTimebankId: string; maxOwedByUsMinutes?: number | undefined; maxOwedToUsMinutes?: number | undefined };

/** The peer's side as the federation routes answer it. */
export type ProposalAnswer = { linkId: string; timebankName: string; publicKeyJwk: PeerPublicKey };

const notTheProtocol = (peerUrl: string, what: string) => new Rejection('peer_unreachable', `The deployment at ${peerUrl} answered without ${what}: nothing was changed.`);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STATUSES: readonly LinkStatus[] = ['proposed', 'active', 'suspended'];

async function readProposalAnswer(peerUrl: string, answer: unknown) {
  const { linkId, timebankName, publicKeyJwk } = answer as Partial<Record<keyof ProposalAnswer, unknown>>;
  const key = await peerKeyOf(publicKeyJwk);
  if (typeof linkId !== 'string' || !UUID.test(linkId) || typeof timebankName !== 'string' || !key) throw notTheProtocol(peerUrl, 'its link id, name and key');
  return { linkId, timebankName: timebankName.slice(0, 200), key };
}

function readStatus(peerUrl: string, answer: unknown): LinkStatus {
  const { status } = answer as { status?: unknown };
  if (!STATUSES.includes(status as LinkStatus)) throw notTheProtocol(peerUrl, 'its side\'s status');
  return status as LinkStatus;
}

/**
 * Proposes a link with a timebank at `peerUrl`: this side is written, the proposal sent, and
 * the peer's link id, name and key kept with it, in one transaction. The unique key on
 * (timebank, peer timebank, peer URL) makes a second proposal to the same peer wait for the
 * first, then answers it link_exists, without sending anything.
 */
export async function proposeRemote(db: Db, federation: Federation, acting: Acting, timebankId: string, input: RemoteLinkProposal, now: Date): Promise<string> {
  const peerUrl = checkPeerUrl(input.peerUrl, federation.allowedHosts);
  if (peerUrl === federation.publicUrl) throw invalidField('body', 'peerUrl', 'is this deployment: leave peerUrl out to link with a timebank of this deployment');
  const side = proposeRemoteLink({
    timebankId,
    peerTimebankId: input.peerTimebankId,
    peerUrl,
    ids: { local: newId(), localClearing: newId() },
    maxOwedByUsMinutes: input.maxOwedByUsMinutes ?? DEFAULT_LINK_LIMIT_MINUTES,
    maxOwedToUsMinutes: input.maxOwedToUsMinutes ?? DEFAULT_LINK_LIMIT_MINUTES,
    now,
  });
  try {
    await db.transaction(async (tx) => {
      const timebank = await findTimebank(tx, timebankId);
      if (!timebank) throw notFound('Timebank');
      await writeSide(tx, side);
      const proposal = { timebankId, timebankName: timebank.name, linkId: side.id, peerTimebankId: side.peerTimebankId, peerUrl, publicKeyJwk: federation.key.publicJwk, maxOwedByUsMinutes: side.maxOwedByUsMinutes, maxOwedToUsMinutes: side.maxOwedToUsMinutes };
      const answer = await readProposalAnswer(peerUrl, await sendToPeer(federation, peerUrl, { method: 'POST', path: federationPaths.links, body: proposal, now }));
      await setPeerDetails(tx, timebankId, side.id, { peerLinkId: answer.linkId, peerTimebankName: answer.timebankName, peerStatus: 'proposed', peerPublicKey: answer.key.publicJwk, peerKeyId: answer.key.keyId });
      await appendAudit(tx, acting, { timebankId, action: 'link.proposed', target: { type: 'link', id: side.id }, changes: changedFields({}, { ...limitsOf(side), peerUrl }) }, now);
    });
  } catch (error) {
    if (isUniqueViolation(error, 'timebank_links_peer_key')) throw linkExists();
    throw error;
  }
  return side.id;
}

/** A verified sender of a proposal: its URL, and the key it signed with, which it publishes there. */
export type ProposalSender = { senderUrl: string; publicJwk: PeerPublicKey; keyId: string };

/** A proposal from another deployment: the named timebank's side, written proposed (or a still-proposed one renewed). */
export async function receiveProposal(db: Db, federation: Federation, sender: ProposalSender, input: Omit<RemoteProposal, 'senderUrl'> & { peerUrl: string }, now: Date): Promise<ProposalAnswer> {
  // The proposer keeps the URL it sent to, and will take this deployment's messages only from it.
  if (input.peerUrl !== federation.publicUrl) {
    const detail = `This deployment's PUBLIC_URL is ${federation.publicUrl}: propose the link to that URL, which its messages are signed as coming from.`;
    throw new Rejection('validation_failed', detail, { errors: [{ field: 'peerUrl', location: 'body', message: `must be ${federation.publicUrl}` }] });
  }
  const { peerUrl: _sentTo, ...terms } = input;
  const proposal: RemoteProposal = { ...terms, senderUrl: sender.senderUrl };
  try {
    return await db.transaction(async (tx) => {
      const timebank = await findTimebank(tx, proposal.peerTimebankId);
      if (!timebank) throw new Rejection('not_found', 'There is no timebank with that id in this deployment.', { field: 'peerTimebankId' });
      const existing = await lockSideWithPeer(tx, proposal.peerTimebankId, proposal.timebankId, sender.senderUrl);
      const { link, created } = receiveRemoteProposal(existing, { proposal, ids: { local: newId(), localClearing: newId() }, now });
      if (created) {
        await writeSide(tx, link);
      } else {
        await updateSide(tx, link);
        await updateClearingLimits(tx, link);
      }
      await setPeerDetails(tx, link.timebankId, link.id, { peerLinkId: proposal.linkId, peerTimebankName: proposal.timebankName.slice(0, 200), peerStatus: 'proposed', peerPublicKey: sender.publicJwk, peerKeyId: sender.keyId });
      const before = existing ? { ...limitsOf(existing), peerUrl: existing.peerUrl, peerLinkId: existing.peerLinkId } : {};
      const changes = changedFields(before, { ...limitsOf(link), peerUrl: link.peerUrl, peerLinkId: proposal.linkId });
      await appendAudit(tx, undefined, { timebankId: link.timebankId, action: 'link.proposed', target: { type: 'link', id: link.id }, changes }, now);
      return { linkId: link.id, timebankName: timebank.name, publicKeyJwk: federation.key.publicJwk };
    });
  } catch (error) {
    // Two proposals from one peer at once: the unique key keeps one.
    if (isUniqueViolation(error, 'timebank_links_peer_key')) throw linkExists();
    throw error;
  }
}

/** This side accepts the peer's proposal: active once the proposer has confirmed it, and not before. */
export async function acceptRemote(db: Db, federation: Federation, acting: Acting, timebankId: string, linkId: string, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    const row = await lockRemoteSide(tx, timebankId, linkId);
    if (!row?.peerUrl || !row.peerLinkId) throw notFound('Link');
    const accepted = acceptSide(row, now);
    const answer = await sendToPeer(federation, row.peerUrl, { method: 'POST', path: federationPaths.accept(row.peerLinkId), body: { linkId: row.id }, now });
    const peerStatus = readStatus(row.peerUrl, answer);
    await updateSide(tx, accepted);
    await setPeerDetails(tx, timebankId, linkId, { peerStatus });
    await appendAudit(tx, acting, { timebankId, action: 'link.accepted', target: { type: 'link', id: linkId }, changes: changedFields({ status: row.status }, { status: accepted.status }) }, now);
  });
}

/** The peer accepted this side's proposal (verified): active, and the peer's side too. */
export async function receiveAcceptance(db: Db, link: LinkRow, peerLinkId: string, now: Date) {
  return db.transaction(async (tx) => {
    const row = (await lockRemoteSide(tx, link.timebankId, link.id))!;
    const decided = confirmRemoteAcceptance(row, peerLinkId, now);
    if (decided.changed) {
      await updateSide(tx, decided.link);
      await setPeerDetails(tx, row.timebankId, row.id, { peerStatus: 'active' });
      const changes = changedFields({ status: row.status, peerStatus: row.peerStatus }, { status: decided.link.status, peerStatus: 'active' });
      await appendAudit(tx, undefined, { timebankId: row.timebankId, action: 'link.accepted', target: { type: 'link', id: row.id }, changes }, now);
    }
    return { linkId: row.id, status: decided.link.status };
  });
}

/** Tells the peer this side's new status; refused or unreachable, the change stands here all the same. */
export async function notifyPeerStatus(federation: Federation, link: LinkSide, now: Date): Promise<void> {
  if (!link.peerUrl || !link.peerLinkId) return;
  await sendToPeer(federation, link.peerUrl, { method: 'POST', path: federationPaths.status(link.peerLinkId), body: { linkId: link.id, status: link.status }, now });
}

/** The peer's side changed its status (verified): kept as this side's peerStatus. */
export async function receivePeerStatus(db: Db, link: LinkRow, message: { linkId: string; status: 'active' | 'suspended' }, now: Date) {
  return db.transaction(async (tx) => {
    const row = (await lockRemoteSide(tx, link.timebankId, link.id))!;
    if (row.peerLinkId !== message.linkId) throw new Rejection('not_found', 'This link is with another link than the one that changed.', { field: 'linkId' });
    if (row.peerStatus !== message.status) {
      await setPeerDetails(tx, row.timebankId, row.id, { peerStatus: message.status });
      await appendAudit(tx, undefined, { timebankId: row.timebankId, action: 'link.changed', target: { type: 'link', id: row.id }, changes: { peerStatus: [row.peerStatus, message.status] } }, now);
    }
    return { linkId: row.id, status: row.status };
  });
}

/** This side's clearing balance, for the peer's reconciliation. */
export async function balanceForPeer(db: Db, link: LinkRow) {
  return { linkId: link.id, balanceMinutes: await clearingBalance(db, link.timebankId, link.clearingAccountId), status: link.status };
}

/** The peer side's clearing balance, as it answers; null when it cannot be asked or answers nothing usable. */
export async function peerBalance(federation: Federation, link: Pick<LinkSide, 'peerUrl' | 'peerLinkId'>, now: Date): Promise<number | null> {
  if (!link.peerUrl || !link.peerLinkId) return null;
  try {
    const answer = (await sendToPeer(federation, link.peerUrl, { method: 'GET', path: federationPaths.balance(link.peerLinkId), now })) as { balanceMinutes?: unknown };
    return Number.isSafeInteger(answer.balanceMinutes) ? (answer.balanceMinutes as number) : null;
  } catch (error) {
    if (error instanceof Rejection) return null;
    throw error;
  }
}
