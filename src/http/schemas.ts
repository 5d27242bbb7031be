import { z } from 'zod';
import { MAX_TRANSFER_MINUTES } from '../domain/ledger.js';
import { clientScopes } from '../domain/principal.js';
import { accountExample, categoryExample, clientExample, memberExample, timebankExample, transferExample } from './examples.js';

/*
 * Request and response schemas shared by the route groups. Requests are strict (unknown fields
 * are refused, nothing is coerced); these schemas also generate openapi.yaml.
 */

// C0 controls but tab (0x09) and newline (0x0a), DEL, and C1 controls: matching control
// characters is the point of these two expressions.
// eslint-disable-next-line no-control-regex
const CONTROL_EXCEPT_NEWLINE_AND_TAB = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const ANY_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Multi-line text written by people: descriptions, notes, reasons. */
export const freeText = (maxLength = 2000) =>
  z
    .string()
    .max(maxLength)
    .refine((value) => !CONTROL_EXCEPT_NEWLINE_AND_TAB.test(value), {
      message: 'must not contain control characters other than newline and tab',
    })
    // A lone surrogate cannot be stored as UTF-8: it would come back changed.
    .refine((value) => value.isWellFormed(), { message: 'must be well-formed Unicode' });

/** One line of text: names and titles. */
export const singleLine = (maxLength = 200) =>
  z
    .string()
    .min(1)
    .max(maxLength)
    .refine((value) => value.trim().length > 0, { message: 'must not be blank' })
    .refine((value) => !ANY_CONTROL.test(value), {
      message: 'must not contain control characters',
    })
    .refine((value) => value.isWellFormed(), { message: 'must be well-formed Unicode' });

/**
 * A partner app's own id for a transfer or a member: 1 to 255 characters, none of them a control
 * character, compared exactly. Unique in the timebank among transfers (and among members).
 */
export const externalId = z
  .string()
  .min(1)
  .max(255)
  .refine((value) => !ANY_CONTROL.test(value), { message: 'must not contain control characters' })
  .refine((value) => value.isWellFormed(), { message: 'must be well-formed Unicode' });

export const MAX_METADATA_KEYS = 20;

/** A partner app's own fields: at most 20 string keys of 1 to 40 characters, string values of at most 500. */
export const metadata = z
  .record(
    z
      .string()
      .min(1)
      .max(40)
      .refine((key) => !ANY_CONTROL.test(key), { message: 'must not contain control characters' })
      .refine((key) => key.isWellFormed(), { message: 'must be well-formed Unicode' }),
    freeText(500),
    { error: (issue) => (issue.code === 'invalid_key' ? 'keys must be 1 to 40 characters, without control characters' : undefined) },
  )
  .refine((value) => Object.keys(value).length <= MAX_METADATA_KEYS, { message: `must have at most ${MAX_METADATA_KEYS} keys` })
  .meta({ maxProperties: MAX_METADATA_KEYS })
  .describe('Your own string fields: at most 20 keys of 1 to 40 characters, values of at most 500 characters');

const storedMetadata = z.record(z.string(), z.string()).describe('The metadata given by whoever recorded it ({} when none)');

export const email = z.email().max(254);
export const password = z.string().min(10).max(200);
// Ids are lower-case, as the API writes them: one spelling per id, in storage and in hashes.
export const id = z.uuid({ abort: true }).regex(/^[0-9a-f-]+$/, 'must be a lower-case UUID');
export const timestamp = z.iso.datetime({ offset: false });
export const scope = z.enum(clientScopes);

export { problemSchema, problems } from './problem-schema.js';

// Problems every authenticated JSON-body write can give.
export const writeProblems = [400, 401, 403, 404, 413, 415] as const;
export const readProblems = [400, 401, 403, 404] as const;

export const timebankParams = z.strictObject({ timebankId: id });

/** The page size of a listing whose request gives no limit. */
export const DEFAULT_PAGE_SIZE = 50;

/**
 * A whole number in a query string. Query strings are text by nature: the digits are parsed
 * here, explicitly (nothing else is coerced), and the contract declares an integer, which is
 * what a generated client sends.
 */
export const queryInteger = (min: number, max: number, message = 'must be a whole number') =>
  z
    .string()
    .regex(new RegExp(`^\\d{1,${String(max).length + 1}}$`), message)
    .transform(Number)
    .pipe(z.int().min(min).max(max))
    .meta({ type: 'integer', minimum: min, maximum: max, pattern: undefined });

/** A decimal number in a query string, parsed as queryInteger is; declared as a number. */
export const queryNumber = (pattern: RegExp, bounds: { min?: number; max: number; positive?: boolean }) => {
  let number = z.number().max(bounds.max);
  if (bounds.min !== undefined) number = number.min(bounds.min);
  if (bounds.positive) number = number.positive();
  return z
    .string()
    .regex(pattern, 'must be a number')
    .transform(Number)
    .pipe(number)
    .meta({ type: 'number', ...(bounds.min === undefined ? {} : { minimum: bounds.min }), ...(bounds.positive ? { exclusiveMinimum: 0 } : {}), maximum: bounds.max, pattern: undefined });
};

/** true or false in a query string, as a boolean. */
export const queryBoolean = z
  .enum(['true', 'false'])
  .transform((value) => value === 'true')
  .meta({ type: 'boolean', enum: undefined });

export const paginationQuery = {
  limit: queryInteger(1, 500)
    .optional()
    .describe(`Page size, 1 to 500 (default ${DEFAULT_PAGE_SIZE})`),
  cursor: z
    .string()
    .max(200)
    .optional()
    .describe('The nextCursor of the previous page'),
};

/** A page of a list; its example is a page of one, built from the item's own example. */
export function page<T extends z.ZodType>(item: T) {
  const example = (z.globalRegistry.get(item)?.examples as unknown[] | undefined)?.[0];
  const schema = z.object({ items: z.array(item), nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last') });
  return example === undefined ? schema : schema.meta({ examples: [{ items: [example], nextCursor: null }] });
}

const joinPolicy = z.enum(['closed', 'application', 'open']);

export const settingsSchema = z
  .object({
    defaultMinBalanceMinutes: z.int().describe('Credit floor of new accounts (<= 0)'),
    defaultMaxBalanceMinutes: z.int().describe('Balance cap of new accounts (>= 0)'),
    confirmation: z
      .enum(['none', 'counterparty'])
      .describe('counterparty: hours recorded by the giver wait for the receiver'),
    autoConfirmAfterHours: z
      .int()
      .describe("A pending transfer's deadline, in hours (0: none): a broker's pending transfer posts by itself then; a member's claim nobody confirmed expires (see autoConfirmMemberClaims)"),
    autoConfirmMemberClaims: z
      .boolean()
      .describe("true: a member's claim its payer has not confirmed by the deadline posts (within the limits) instead of expiring (default false)"),
    maxOpenClaims: z
      .int()
      .describe("How many members' claims may wait on one payer at once (on the commons: per claimant); one more is 422 too_many_open_claims (default 5)"),
    joinPolicy: joinPolicy.describe('Who may join: closed (coordinators add members; the default), application (anyone applies, coordinators approve or decline) or open (an application is approved at once)'),
    stalledAfterDays: z.int().describe('After how many days with no response an open request counts as stalled (1 to 365, default 14)'),
  })
  .meta({ id: 'TimebankSettings' });

export const settingsChangeSchema = z.strictObject({
  defaultMinBalanceMinutes: z.int().min(-10_000_000).max(0).optional(),
  defaultMaxBalanceMinutes: z.int().min(0).max(10_000_000).optional(),
  confirmation: z.enum(['none', 'counterparty']).optional(),
  autoConfirmAfterHours: z.int().min(0).max(8760).optional(),
  autoConfirmMemberClaims: z.boolean().optional(),
  maxOpenClaims: z.int().min(0).max(1000).optional(),
  joinPolicy: joinPolicy.optional(),
  stalledAfterDays: z.int().min(1).max(365).optional(),
});

/** A timebank's short name, as people type it at the login. */
export const timebankSlug = z
  .string()
  .max(60)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lower-case letters and digits joined by single hyphens');

export const timebankSchema = z
  .object({
    id,
    name: z.string(),
    slug: z.string(),
    commonsAccountId: id,
    settings: settingsSchema,
    createdAt: timestamp,
  })
  .meta({ id: 'Timebank', examples: [timebankExample] });

export const memberSchema = z
  .object({
    id,
    timebankId: id,
    accountId: id,
    displayName: z.string(),
    email: z.string(),
    kind: z.enum(['person', 'organisation']),
    role: z.enum(['member', 'coordinator']),
    status: z.enum(['active', 'suspended', 'left']),
    externalId: z.string().nullable().describe('The partner app\'s own id for the member (null when none): unique in the timebank'),
    metadata: storedMetadata,
    notifications: z
      .object({
        claims: z.boolean().describe('An email when a claim waits for this member\'s confirmation'),
        digest: z.boolean().describe('A weekly email of what waits, new offers for open requests, and listings expiring'),
      })
      .describe('Which emails the member gets, when the service sends email (SMTP_URL); each email has a link that turns its kind off'),
    phone: z.string().nullable().describe('A contact phone number (null when none)'),
    contactSharing: z
      .object({
        email: z.boolean().describe('Other members of the timebank see this member\'s email in the directory'),
        phone: z.boolean().describe('Other members of the timebank see this member\'s phone in the directory'),
      })
      .describe('Which contact details other members see: the member\'s own choice (or a coordinator\'s), both false by default'),
    federationVisible: z.boolean().describe('Members of linked timebanks see this member (display name and open listings) and may pay it: the member\'s own choice (or a coordinator\'s), false by default'),
    createdAt: timestamp,
  })
  .meta({ id: 'Member', examples: [memberExample] });

export const clientSchema = z
  .object({
    id,
    timebankId: id,
    name: z.string(),
    scopes: z.array(scope),
    createdAt: timestamp,
    createdByMemberId: id.nullable().describe('The coordinator who registered it; null when a platform admin did'),
    lastUsedAt: timestamp.nullable().describe('The last time it obtained an access token'),
    revokedAt: timestamp.nullable().describe('Set once the client is revoked: its tokens no longer work'),
    previousSecretExpiresAt: timestamp.nullable().describe('After a rotation, the old secret works until then'),
  })
  .meta({ id: 'Client', examples: [clientExample] });

export const categorySchema = z
  .object({ id, name: z.string(), parentId: id.nullable() })
  .meta({ id: 'Category', examples: [categoryExample] });

/**
 * An operation's security requirement: an OAuth 2.0 access token, and the client scope a partner
 * app needs for it (none: partner clients cannot call it). People's tokens carry no scopes:
 * what they may do follows their role, as each operation's description says.
 */
export const oauth = (scope?: (typeof clientScopes)[number]) => [{ oauth2: scope ? [scope] : [] }];

/**
 * The instants a request may name: years 1000 to 9999 in UTC. PostgreSQL (in sessions set to
 * UTC, see openPostgres) prints a timestamp as "0050-03-04 10:00:00+00", which JavaScript's Date
 * reads as 1950, and has no year 0, so earlier instants would not come back as they were given
 * (or not be stored at all).
 */
export const earliestInstant = Date.parse('1000-01-01T00:00:00Z');
const latestInstant = Date.parse('9999-12-31T23:59:59.999Z');
const inRange = (value: string) => {
  const instant = Date.parse(value);
  return instant >= earliestInstant && instant <= latestInstant;
};

/** An instant in a request body, kept as text. */
export const instantText = z
  .iso.datetime({ offset: true })
  .refine(inRange, 'must be from 1000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z')
  .describe('ISO 8601 date-time with a time zone, from year 1000 to 9999 in UTC');

/** An instant in a query string, e.g. 2026-01-31T00:00:00Z, as a Date. */
export const instantQuery = instantText.transform((value) => new Date(value));

export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x20-\x7e]{1,255}$/, 'must be 1 to 255 printable ASCII characters')
    .describe('Required: a retry with the same key and body replays the first answer'),
});

/** For writes that honour a key when given (those that move credits require one). */
export const optionalIdempotencyHeaders = z.object({
  'idempotency-key': idempotencyHeaders.shape['idempotency-key']
    .optional()
    .describe('Optional: a retry with the same key and body replays the first answer'),
});

export const minutes = z.int().min(1).max(MAX_TRANSFER_MINUTES).describe('Whole minutes, 1 to 1,000,000');

export const transferSchema = z
  .object({
    id,
    timebankId: id,
    payerAccountId: id.describe('Spends the minutes: received help'),
    payeeAccountId: id.describe('Earns the minutes: gave help'),
    minutes: z.int(),
    status: z.enum(['pending', 'posted', 'rejected', 'expired']),
    description: z.string().nullable(),
    categoryId: id.nullable(),
    requestId: id.nullable(),
    offerId: id.nullable(),
    brokered: z.boolean().describe('Recorded by a coordinator or partner on the parties\' behalf'),
    createdAt: timestamp,
    updatedAt: timestamp.describe('When it last changed: created, then posted, rejected or expired, then reversed. The event feed says what changed'),
    autoConfirmAt: timestamp
      .nullable()
      .describe("A pending transfer's deadline: a brokered one posts by itself then; a member's claim expires (or posts, if the timebank's autoConfirmMemberClaims)"),
    postedAt: timestamp.nullable(),
    resolvedAt: timestamp.nullable(),
    sequence: z.int().nullable().describe('Position in the timebank\'s hash chain, once posted'),
    hash: z.string().nullable().describe('sha256(previous hash + canonical transfer), once posted'),
    reversesTransferId: id.nullable(),
    reversedByTransferId: id.nullable(),
    reason: z.string().nullable(),
    overrideLimits: z.boolean(),
    externalId: z.string().nullable().describe('The recorder\'s own id for the transfer (null when none): unique in the timebank, never changes'),
    metadata: storedMetadata,
    recordedBy: z
      .object({
        type: z.enum(['member', 'client', 'admin', 'system']),
        id: id.nullable().describe('The member (coordinators included), partner client or admin; null for system'),
      })
      .describe('Who recorded it: a member, a partner client, a platform admin, or the service itself (system). Confirming, rejecting or expiring it does not change this; a reversal is recorded by the coordinator who reversed.'),
    link: z
      .object({ linkId: id, peerTimebankId: id, remoteAccountId: id.describe('The account paid, or paying, on the peer timebank\'s ledger') })
      .nullable()
      .describe('A cross-timebank transfer\'s leg: this ledger\'s side runs between a member and the link\'s clearing account. Null for a local transfer'),
    remoteTransferId: id.nullable().describe('The other leg, on the peer timebank\'s ledger (GET .../transfers/{id} there, or here: either id finds this leg)'),
  })
  .meta({ id: 'Transfer', examples: [transferExample] });

export const accountSchema = z
  .object({
    id,
    timebankId: id,
    memberId: id.nullable(),
    kind: z.enum(['member', 'commons', 'link']).describe('link: a link\'s clearing account, the peer timebank on this ledger (DESIGN.md section 7)'),
    balanceMinutes: z.int(),
    pendingDebitMinutes: z.int().describe("Held by brokered pending transfers from this account (a member's claim on it holds nothing)"),
    pendingCreditMinutes: z.int().describe('Held by pending transfers to this account, claims included'),
    availableMinutes: z.int().describe('What can still be spent: balance - pending debits - floor'),
    minBalanceMinutes: z.int(),
    maxBalanceMinutes: z.int(),
    givenMinutes: z.int().describe('Earned in exchanges, net of reversals'),
    receivedMinutes: z.int().describe('Spent in exchanges, net of reversals'),
    asOf: timestamp.nullable(),
  })
  .meta({ id: 'Account', examples: [accountExample] });
