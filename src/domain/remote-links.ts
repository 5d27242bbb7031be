import { Rejection } from './errors.js';
import type { LinkSide } from './links.js';

/*
 * Links with a timebank of another deployment (docs/federation.md, "Across deployments"): each
 * deployment writes only its own side, and learns the other's from signed messages. Pure: the
 * shell sends and receives them (use-cases/federation/remote-links.ts).
 */

/** A proposal as the proposing deployment sends it: limits as the proposer sees them. */
export type RemoteProposal = {
  senderUrl: string;
  timebankId: string;
  timebankName: string;
  linkId: string;
  peerTimebankId: string;
  maxOwedByUsMinutes: number;
  maxOwedToUsMinutes: number;
};

/** The proposer's side, written before the proposal is sent; the peer's link id comes with its answer. */
export function proposeRemoteLink(input: {
  timebankId: string;
  peerTimebankId: string;
  peerUrl: string;
  ids: { local: string; localClearing: string };
  maxOwedByUsMinutes: number;
  maxOwedToUsMinutes: number;
  now: Date;
}): LinkSide {
  return {
    timebankId: input.timebankId,
    id: input.ids.local,
    peerTimebankId: input.peerTimebankId,
    peerLinkId: null,
    peerUrl: input.peerUrl,
    status: 'proposed',
    proposedByUs: true,
    clearingAccountId: input.ids.localClearing,
    maxOwedByUsMinutes: input.maxOwedByUsMinutes,
    maxOwedToUsMinutes: input.maxOwedToUsMinutes,
    createdAt: input.now,
    updatedAt: input.now,
  };
}

/**
 * The receiving side of a proposal, with the proposer's limits seen from here. A proposal from
 * the same deployment and timebank that is still proposed is replaced by a newer one (its
 * proposer may have given up waiting for the first answer, and kept nothing of it); one made
 * here, or accepted already, is `link_exists`.
 */
export function receiveRemoteProposal(
  existing: LinkSide | undefined,
  input: { proposal: RemoteProposal; ids: { local: string; localClearing: string }; now: Date },
): { link: LinkSide; created: boolean } {
  const { proposal, now } = input;
  const terms = {
    peerLinkId: proposal.linkId,
    maxOwedByUsMinutes: proposal.maxOwedToUsMinutes,
    maxOwedToUsMinutes: proposal.maxOwedByUsMinutes,
  };
  if (existing) {
    if (existing.status !== 'proposed' || existing.proposedByUs) {
      throw new Rejection('link_exists', 'These two timebanks are linked already, or this one has proposed it.', { field: 'peerTimebankId' });
    }
    return { link: { ...existing, ...terms, updatedAt: now }, created: false };
  }
  return {
    link: {
      ...terms,
      timebankId: proposal.peerTimebankId,
      id: input.ids.local,
      peerTimebankId: proposal.timebankId,
      peerUrl: proposal.senderUrl,
      status: 'proposed',
      proposedByUs: false,
      clearingAccountId: input.ids.localClearing,
      createdAt: now,
      updatedAt: now,
    },
    created: true,
  };
}

/**
 * The proposer's side when the peer says it accepted: active, once. An acceptance repeated (its
 * answer was lost) changes nothing and is answered the same; one naming another link is refused.
 */
export function confirmRemoteAcceptance(local: LinkSide, peerLinkId: string, now: Date): { link: LinkSide; changed: boolean } {
  if (!local.proposedByUs) {
    throw new Rejection('forbidden', 'This side did not propose the link: it accepts it itself.');
  }
  if (local.peerLinkId !== peerLinkId) {
    throw new Rejection('not_found', 'This link was proposed to another link than the one that accepts it.', { field: 'linkId' });
  }
  if (local.status !== 'proposed') return { link: local, changed: false };
  return { link: { ...local, status: 'active', updatedAt: now }, changed: true };
}
