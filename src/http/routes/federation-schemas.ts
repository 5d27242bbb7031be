import { z } from 'zod';
import { freeText, id, minutes } from '../schemas.js';
import { limit, linkedListingSchema, linkedMemberSchema } from './links-schemas.js';

/* Shapes of the federation routes: the messages one deployment sends another (docs/federation.md). */

const keyExample = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' } as const;
const ids = { timebank: '019a1f2e-7c31-7a01-9b3c-0d1e2f3a4b5c', peerTimebank: '019a1f30-0f00-7b12-9c23-d4e5f6071829', link: '019a1f30-1000-7a01-8b02-c3d4e5f60718', peerLink: '019a1f31-1000-7a01-8b02-c3d4e5f60718' };

export const publicKeyJwk = z
  .strictObject({
    kty: z.literal('OKP'),
    crv: z.literal('Ed25519'),
    x: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url Ed25519 public key'),
  })
  .describe('An Ed25519 public key as a JWK (RFC 8037)')
  .meta({ id: 'FederationPublicKey', examples: [keyExample] });

export const federationKeySchema = z
  .object({ keyId: z.string().describe('The JWK thumbprint of the key (RFC 7638)'), publicKeyJwk })
  .meta({ id: 'FederationKey', examples: [{ keyId: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k', publicKeyJwk: keyExample }] });

export const signatureHeaders = z.object({
  'federation-signature': z.string().max(4096).optional().describe("A compact JWS (EdDSA) by the sending deployment's key over the request's method, path, body SHA-256, timestamp, nonce and sender URL"),
});

export const federationLinkParams = z.strictObject({ linkId: id.describe("The receiving deployment's link id") });

export const remoteProposalSchema = z
  .strictObject({
    timebankId: id.describe("The proposing timebank, in the sender's deployment"),
    timebankName: z.string().min(1).max(200),
    linkId: id.describe("The proposer's link id"),
    peerTimebankId: id.describe('The timebank of this deployment to link with'),
    peerUrl: z.string().max(2000).describe("The URL the proposer sent this to, which must be this deployment's PUBLIC_URL: the one its messages on the link will be signed as coming from"),
    publicKeyJwk: publicKeyJwk.describe("The proposer's public key: the one the proposal is signed with, and that its deployment publishes"),
    maxOwedByUsMinutes: limit.describe('How far the proposer may owe this timebank'),
    maxOwedToUsMinutes: limit.describe('How far this timebank may owe the proposer'),
  })
  .meta({ id: 'FederationLinkProposal', examples: [{ timebankId: ids.timebank, timebankName: 'Riverside Time Bank', linkId: ids.link, peerTimebankId: ids.peerTimebank, peerUrl: 'https://timebank.hillside.example', publicKeyJwk: keyExample, maxOwedByUsMinutes: 6000, maxOwedToUsMinutes: 6000 }] });

export const proposalAnswerSchema = z
  .object({ linkId: id.describe("This deployment's side of the link"), timebankName: z.string(), publicKeyJwk })
  .meta({ id: 'FederationLinkProposalAnswer', examples: [{ linkId: ids.peerLink, timebankName: 'Hillside Time Bank', publicKeyJwk: keyExample }] });

export const acceptanceSchema = z.strictObject({ linkId: id.describe("The accepting side's link id") }).meta({ id: 'FederationLinkAcceptance', examples: [{ linkId: ids.peerLink }] });

export const peerStatusSchema = z
  .strictObject({ linkId: id.describe("The sender's link id"), status: z.enum(['active', 'suspended']) })
  .meta({ id: 'FederationLinkStatus', examples: [{ linkId: ids.peerLink, status: 'suspended' }] });

export const sideStatusSchema = z
  .object({ linkId: id, status: z.enum(['proposed', 'active', 'suspended']).describe("The receiving side's own status") })
  .meta({ id: 'FederationLinkSide', examples: [{ linkId: ids.link, status: 'active' }] });

export const balanceSchema = z
  .object({ linkId: id, balanceMinutes: z.int().describe("The receiving side's clearing balance"), status: z.enum(['proposed', 'active', 'suspended']) })
  .meta({ id: 'FederationLinkBalance', examples: [{ linkId: ids.link, balanceMinutes: -30, status: 'active' }] });

const transferIds = { payerLeg: '019a1f40-2000-7a01-8b02-c3d4e5f60718', payeeLeg: '019a1f40-2001-7a01-8b02-c3d4e5f60718', payer: '019a1f2e-7c32-7a01-9b3c-0d1e2f3a4b5c', payee: '019a1f30-0f01-7b12-9c23-d4e5f6071829' };

export const prepareSchema = z
  .strictObject({
    linkId: id.describe("The sender's link id"),
    transferId: id.describe("The payer side's leg: the id every message about this transfer names"),
    payeeTransferId: id.describe("The id the payee side's leg is to have, chosen by the payer's side"),
    payerAccountId: id.describe('The paying account, on the sender\'s ledger'),
    payeeAccountId: id.describe("The account paid, on the receiver's ledger: a member visible to linked timebanks"),
    minutes,
    description: freeText(2000).nullable(),
    deadline: z.iso.datetime({ offset: true }).describe('Until when the prepared leg waits for its commit; then both sides cancel it'),
  })
  .meta({ id: 'FederationPrepare', examples: [{ linkId: ids.link, transferId: transferIds.payerLeg, payeeTransferId: transferIds.payeeLeg, payerAccountId: transferIds.payer, payeeAccountId: transferIds.payee, minutes: 90, description: 'Garden help', deadline: '2026-12-05T10:10:00Z' }] });

export const commitSchema = z.strictObject({ linkId: id.describe("The sender's link id") }).meta({ id: 'FederationCommit', examples: [{ linkId: ids.link }] });

export const federationTransferParams = z.strictObject({ linkId: id.describe("The receiving deployment's link id"), transferId: id.describe("The payer side's leg") });

export const legAnswerSchema = z
  .object({
    transferId: id.describe("The payer side's leg"),
    payeeTransferId: id.describe("The receiver's leg"),
    state: z.enum(['prepared', 'committed', 'cancelled']).describe("The receiver's leg: prepared (holding its room), committed (posted) or cancelled"),
  })
  .meta({ id: 'FederationLegState', examples: [{ transferId: transferIds.payerLeg, payeeTransferId: transferIds.payeeLeg, state: 'committed' }] });

const directoryIds = { account: '019a1f31-1101-7d34-be45-f60718293a4b', listing: '019a1f31-1201-7e45-8f56-0718293a4b5c' };

export const peerDirectorySchema = z
  .object({
    members: z.array(linkedMemberSchema).describe('The members of the receiving side who chose to be visible to linked timebanks: display name and account only'),
    listings: z.array(linkedListingSchema).describe('Their open, unexpired listings: never a location'),
  })
  .meta({
    id: 'FederationDirectory',
    examples: [
      {
        members: [{ accountId: directoryIds.account, displayName: 'Ana', remote: true }],
        listings: [
          {
            id: directoryIds.listing,
            kind: 'offer',
            title: 'Garden help',
            description: 'Weeding and planting',
            tags: ['gardening'],
            categoryName: 'Gardening',
            parentCategoryName: 'Outdoors',
            canBeRemote: false,
            availability: null,
            accountId: directoryIds.account,
            displayName: 'Ana',
            createdAt: '2026-03-04T10:00:00.000Z',
            remote: true,
          },
        ],
      },
    ],
  });
