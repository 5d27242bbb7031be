import { z } from 'zod';
import { id } from '../schemas.js';

/*
 * The members routes' own schemas: contact details and the directory. The member's
 * representation itself (memberSchema) is shared with other route groups, in ../schemas.ts.
 */

const kind = z.enum(['person', 'organisation']);

/**
 * A phone number as people write one: an optional leading +, then digits, spaces and the
 * separators ( ) - . /, with at least 3 digits; at most 40 characters. Stored trimmed. The
 * service neither calls nor texts it, so no numbering plan is enforced.
 */
export const phone = z
  .string()
  .min(3)
  .max(40)
  .regex(/^ *\+?[0-9 ()./-]+$/, 'must be a phone number: an optional leading +, then digits, spaces and ( ) - . / only')
  .refine((value) => (value.match(/[0-9]/g)?.length ?? 0) >= 3, { message: 'must have at least 3 digits' })
  .describe('A contact phone number: an optional leading +, then digits, spaces and ( ) - . /; 3 to 40 characters with at least 3 digits');

export const contactSharingChange = z
  .strictObject({
    email: z.boolean().optional().describe('true: other members see this member\'s email in the directory'),
    phone: z.boolean().optional().describe('true: other members see this member\'s phone in the directory'),
  })
  .describe('The member itself or a coordinator, never a partner app: which contact details other members of the timebank see in the directory (each given one is set, the other kept)');

export const directoryEntry = z
  .object({
    memberId: id,
    displayName: z.string(),
    kind,
    accountId: id,
    email: z.string().optional().describe('Present only when the member shares its email (contactSharing.email)'),
    phone: z.string().optional().describe('Present only when the member has a phone and shares it (contactSharing.phone)'),
  })
  .meta({ id: 'DirectoryEntry' });
