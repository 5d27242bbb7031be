import { z } from 'zod';
import { MAX_TRANSFER_MINUTES } from '../../domain/ledger.js';
import { weekdays } from '../../domain/matching.js';
import { id, timestamp } from '../schemas.js';

/* Shapes of the link routes (DESIGN.md section 7). */

export const limit = z.int().min(0).max(MAX_TRANSFER_MINUTES * 100);

export const linkParams = z.strictObject({ timebankId: id, linkId: id });

export const linkProposal = z
  .strictObject({
    peerTimebankId: id.describe('The timebank to link with: in this deployment, or in the one at peerUrl'),
    peerUrl: z
      .string()
      .max(2000)
      .optional()
      .describe("The base URL of the peer timebank's deployment, when it is another one: https, and not a private, loopback or link-local address unless FEDERATION_ALLOW_HOSTS names its host"),
    maxOwedByUsMinutes: limit.optional().describe('How far this timebank may owe the other (default 6,000)'),
    maxOwedToUsMinutes: limit.optional().describe('How far the other timebank may owe this one (default 6,000)'),
  })
  .meta({ id: 'LinkProposal' });

export const linkChange = z
  .strictObject({
    status: z.enum(['active', 'suspended']).optional().describe('suspended: no hours cross the link either way until this side makes it active again'),
    maxOwedByUsMinutes: limit.optional(),
    maxOwedToUsMinutes: limit.optional(),
  })
  .meta({ id: 'LinkChange' });

export const linkSchema = z
  .object({
    id,
    timebankId: id,
    peerTimebankId: id,
    peerTimebankName: z.string(),
    peerUrl: z.string().nullable().describe('The peer deployment; null when both timebanks are in this one'),
    status: z.enum(['proposed', 'active', 'suspended']).describe("This side's status"),
    peerStatus: z.enum(['proposed', 'active', 'suspended']).nullable().describe("The peer side's status: hours cross only when both are active"),
    proposedByUs: z.boolean().describe('This side proposed it: the peer accepts'),
    clearingAccountId: id.describe('The account standing for the peer timebank on this ledger (kind link)'),
    balanceMinutes: z.int().describe('The clearing balance: positive, this timebank owes the peer; negative, the peer owes this one'),
    maxOwedByUsMinutes: z.int(),
    maxOwedToUsMinutes: z.int(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Link' });

export const reconciliationSchema = z
  .object({
    linkId: id,
    localBalanceMinutes: z.int().describe("This side's clearing balance"),
    peerBalanceMinutes: z.int().nullable().describe("The peer side's clearing balance (null when the peer cannot be read)"),
    agree: z.boolean().describe('The two are exact opposites'),
  })
  .meta({ id: 'LinkReconciliation' });

const windowSchema = z.object({ day: z.enum(weekdays), from: z.string(), to: z.string() });

export const linkedMemberSchema = z.object({ accountId: id, displayName: z.string(), remote: z.literal(true) }).meta({ id: 'LinkedMember' });

export const linkedListingSchema = z
  .object({
    id,
    kind: z.enum(['offer', 'request']),
    title: z.string(),
    description: z.string(),
    tags: z.array(z.string()),
    categoryName: z.string().describe("The name of its category in the linked timebank (each timebank has its own categories: matching compares them by name)"),
    parentCategoryName: z.string().nullable().describe('The name of that category\'s parent, if it has one'),
    canBeRemote: z.boolean().describe('The exchange can happen remotely (phone, video, online): the listing\'s own remote'),
    availability: z.array(windowSchema).nullable().describe('Weekly windows, UTC'),
    accountId: id.describe("The member's account in the linked timebank: pay it with payee { linkId, accountId }"),
    displayName: z.string(),
    createdAt: timestamp,
    remote: z.literal(true).describe("Of a linked timebank's member"),
  })
  .meta({ id: 'LinkedListing' });

export const linkedDirectorySchema = z
  .object({ members: z.array(linkedMemberSchema), listings: z.array(linkedListingSchema) })
  .meta({ id: 'LinkedDirectory' });
