/*
 * Examples in the contract: one story (Riverside Time Bank, where Mo pays Cora for an hour in
 * the garden) told with the same ids everywhere, so that a reader can follow one id from answer
 * to answer. test/contract/examples.test.ts validates every example against its schema.
 */

import { federationComponentExamples } from './examples-federation.js';
import { reportAnswerExamples, reportComponentExamples } from './examples-reports.js';
import { at, categoryExample, clientExample, ids, transferExample, transferInputExample } from './examples-story.js';

export { accountExample, categoryExample, clientExample, ids, memberExample, timebankExample, transferExample, transferInputExample } from './examples-story.js';

const problemBase = 'https://timebank.example/problems/';
const problem = (status: number, code: string, title: string, detail: string, extra: object = {}) => ({
  type: problemBase + code,
  title,
  status,
  detail,
  code,
  ...extra,
});

/** The main error codes, one answer each. */
export const problemExamples = [
  problem(400, 'validation_failed', 'Validation failed', 'Invalid body: minutes.', {
    errors: [{ field: 'minutes', location: 'body', message: 'Too big: expected number to be <=1000000' }],
  }),
  problem(401, 'unauthorized', 'Unauthorized', 'The access token is invalid or has expired.'),
  problem(403, 'insufficient_scope', 'Insufficient scope', 'This client lacks the scope ledger:write.', { requiredScope: 'ledger:write' }),
  problem(404, 'not_found', 'Not found', 'Account not found.'),
  problem(409, 'idempotency_key_reused', 'Idempotency key reused', 'This Idempotency-Key was used with a different request; use a new key for a new request.'),
  problem(409, 'external_id_taken', 'External id already used', 'A transfer of this timebank already has this externalId: nothing was recorded. GET the transfers with ?externalId= to find it.', { field: 'externalId' }),
  problem(409, 'transfer_not_pending', 'Transfer not pending', 'The transfer is posted, not pending.', { transferStatus: 'posted' }),
  problem(422, 'insufficient_balance', 'Insufficient balance', 'Transfer 3: The payer can spend 450 more minutes; this transfer needs 600.', {
    accountId: ids.moAccount,
    availableMinutes: 450,
    index: 3,
    field: 'transfers.3',
  }),
  problem(422, 'limit_exceeded', 'Balance limit exceeded', 'The payee can earn 0 more minutes before its cap; this transfer needs 60.', { accountId: ids.coraAccount }),
  problem(422, 'import_invalid', 'Import invalid', 'The import has 1 problem and nothing was imported: correct the rows listed in problems (a dry run lists them too) and import again.', {
    problems: [{ file: 'transfers', line: 4, field: 'amount', message: '5430 seconds is not a whole number of minutes' }],
    problemsTruncated: false,
  }),
  problem(429, 'rate_limited', 'Too many requests', 'Too many attempts: wait and retry.'),
  problem(503, 'service_unavailable', 'Service unavailable', 'The database is busy or unreachable: retry shortly with the same Idempotency-Key.'),
];

const moAndCora = { members: [ids.cora, ids.mo], legs: [
  { giverMemberId: ids.cora, receiverMemberId: ids.mo, offerId: ids.offer, requestId: ids.request, score: 0.82, remote: false },
  { giverMemberId: ids.mo, receiverMemberId: ids.cora, offerId: '019a1f2e-9f00-74a9-bd5e-e6f708192a3c', requestId: '019a1f2e-9f10-75ba-8e6f-f708192a3b4d', score: 0.64, remote: false },
], score: 0.73 };

export const listingExample = {
  id: ids.request,
  timebankId: ids.timebank,
  kind: 'request',
  memberId: ids.mo,
  title: 'A lift to the clinic on Thursdays',
  description: 'Around 10:00, back by noon.',
  categoryId: ids.category,
  tags: ['transport'],
  location: { lat: 51.752, lon: -1.258 },
  maxDistanceKm: 5,
  remote: false,
  availability: [{ day: 'thu', from: '09:30', to: '12:30' }],
  status: 'open',
  stage: 'agreed',
  firstResponseAt: at(5, '09:15'),
  agreedWith: ids.cora,
  metAt: null,
  expiresAt: null,
  createdAt: at(4),
  updatedAt: at(5, '09:15'),
};

/** An offer has no need: its stage fields are null. */
const offerExample = { ...listingExample, id: ids.offer, kind: 'offer', memberId: ids.cora, title: 'Driving, weekday mornings', description: 'I have a car and free mornings.', tags: ['transport', 'driving'], maxDistanceKm: 10, stage: null, firstResponseAt: null, agreedWith: null, metAt: null, updatedAt: at(4) };

const matchExample = {
  memberId: ids.cora,
  offerId: ids.offer,
  score: 0.82,
  components: { categoryFit: 1, textSimilarity: 0.41, distance: 0.9, availability: 1, rebalance: 0.5, closesLoop: 1, newTie: 0, load: 0.8 },
  distanceKm: 1.2,
  mark: 'contacted',
  remote: false,
};

/** Examples of the named schemas that do not carry their own (by component name). */
export const componentExamples: Record<string, unknown> = {
  ImportResult: {
    id: null,
    dryRun: true,
    alreadyImported: false,
    format: 'timeoverflow',
    members: 2,
    transfers: 1,
    minutes: 60,
    firstPostedAt: '2020-01-10T09:00:00.000Z',
    lastPostedAt: '2020-01-10T09:00:00.000Z',
    accounts: [
      { kind: 'member', externalId: '17', displayName: 'Mo Mensah', newMember: true, memberId: null, accountId: null, transfers: 1, givenMinutes: 0, receivedMinutes: 60, balanceMinutes: -60 },
      { kind: 'member', externalId: '18', displayName: 'Cora Chen', newMember: true, memberId: null, accountId: null, transfers: 1, givenMinutes: 60, receivedMinutes: 0, balanceMinutes: 60 },
    ],
    problems: [],
    problemsTruncated: false,
    createdAt: null,
  },
  Me: { type: 'member', id: ids.mo, timebankId: ids.timebank, role: 'member', scopes: [], displayName: 'Mo', email: 'mo@example.org', accountId: ids.moAccount, status: 'active' },
  Revoked: {},
  DirectoryEntry: { memberId: ids.cora, displayName: 'Cora', kind: 'person', accountId: ids.coraAccount, phone: '+44 20 7946 0123' },
  CreatedClient: { ...clientExample, clientSecret: 'tbs_Qm9vZ2llLXNlY3JldC1zaG93bi1vbmNl' },
  Statement: {
    accountId: ids.moAccount,
    from: null,
    to: at(10),
    openingBalanceMinutes: 0,
    closingBalanceMinutes: -150,
    items: [
      { transferId: ids.transfer, sequence: 1, minutes: -60, balanceAfterMinutes: -60, postedAt: at(9, '16:20'), description: 'Help in the garden', counterpartyAccountId: ids.coraAccount },
      { transferId: ids.pending, sequence: 2, minutes: -90, balanceAfterMinutes: -150, postedAt: at(9, '17:05'), description: 'Lift to the clinic', counterpartyAccountId: ids.coraAccount },
    ],
    nextCursor: null,
  },
  ...federationComponentExamples,
  LedgerVerification: { ok: true, transferCount: 2, sumMinutes: 0, chainHead: { sequence: 2, hash: transferExample.hash }, unsealedCount: 0, oldestUnsealedSeconds: null, mismatches: [] },
  Listing: listingExample,
  Match: matchExample,
  MatchMark: { listingId: ids.request, candidateListingId: ids.offer, memberId: ids.mo, mark: 'contacted', markedAt: at(5, '09:15') },
  Cycle: moAndCora,
  AuditEntry: { id: '019a1f2f-2000-7cd1-9a0b-1c2d3e4f5a6b', at: at(5), actor: { type: 'member', id: ids.cora }, action: 'member.updated', target: { type: 'member', id: ids.mo }, changes: { status: ['active', 'suspended'] }, requestId: 'req-7f3a' },
  ...reportComponentExamples,
};

/** Examples of the request bodies, by component name. */
export const bodyExamples: Record<string, unknown> = {
  ImportInput: {
    format: 'timeoverflow',
    members: '17,2019-03-01,Mo,Mensah,,2,,07700 900123,,mo@example.org\n18,2019-04-15,Cora,Chen,,1,,,,cora@example.org\n',
    transfers: '17,member,18,member,3600,2020-01-10 10:00:00 +0100,Help in the garden,\n',
    dryRun: true,
  },
  TransferInput: transferInputExample,
  TransferBatchInput: { transfers: [transferInputExample, { payerAccountId: ids.commons, payeeAccountId: ids.coraAccount, minutes: 120, description: 'Cleaning the community garden (group session)', externalId: 'vp-shift-2026-03-14-cora', metadata: { shiftId: '2026-03-14-garden' } }] },
  ReversalInput: { reason: 'Recorded twice by mistake' },
  TimebankInput: { name: 'Riverside Time Bank', settings: { confirmation: 'counterparty', autoConfirmAfterHours: 72 } },
  TimebankChangeInput: { settings: { maxOpenClaims: 3 } },
  MemberInput: { displayName: 'Mo', email: 'mo@example.org', password: 'mo-password-12', externalId: 'vp-volunteer-4821', metadata: { volunteerPlatformProfile: 'https://volunteers.example/p/4821' } },
  MemberChangeInput: { status: 'suspended' },
  AccountLimitsInput: { minBalanceMinutes: -600, maxBalanceMinutes: 3000 },
  ClientInput: { name: 'Volunteer platform', scopes: ['members:read', 'ledger:read', 'ledger:write'] },
  ClientChangeInput: { scopes: ['ledger:read'] },
  SecretRotationInput: { graceSeconds: 3600 },
  CategoryInput: { name: 'Vegetable beds', parentId: ids.category },
  CategoryRenameInput: { name: 'Vegetable gardens' },
  ListingInput: { title: 'A lift to the clinic on Thursdays', description: 'Around 10:00, back by noon.', categoryId: ids.category, tags: ['transport'], location: { lat: 51.752, lon: -1.258 }, maxDistanceKm: 5, availability: [{ day: 'thu', from: '09:30', to: '12:30' }] },
  ListingChangeInput: { status: 'closed' },
  RequestChangeInput: { stage: 'agreed', agreedWith: ids.cora },
  MatchMarkInput: { mark: 'notSuitable' },
  RevocationInput: { token: '019a1f2f-4c10-7a11-9b22-0c3d4e5f6a7b.1.Yk3vQ0e8pXc1mZr7TtJxN2aF5sLwG9hUoD4iB6cE8qA', token_type_hint: 'refresh_token' },
};

/** Examples of answers whose schema has no name, by operation. */
export const answerExamples: Record<string, unknown> = {
  listOffers: { items: [offerExample], nextCursor: null },
  listRequests: { items: [listingExample], nextCursor: null },
  getLiveness: { status: 'ok' },
  getReadiness: { status: 'ok' },
  getMetrics: '# HELP timebank_transfers_posted_total Transfers posted\n# TYPE timebank_transfers_posted_total counter\ntimebank_transfers_posted_total 2\n',
  confirmUnsubscribe: '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Emails</title></head><body><main><p>Stop the weekly digest?</p><form method="post" action="/v1/email/unsubscribe?token=…"><button type="submit">Stop them</button></form></main></body></html>',
  getLedgerJournal: '2026-03-09 Help in the garden\n    ; transfer: 019a1f2f-0a10-7f54-a708-91a2b3c4d5e6\n    accounts:019a1f2e-7c53-7c21-b4d5-6e7f8091a2b3    60 min\n    accounts:019a1f2e-7c65-7e43-96f7-8091a2b3c4d5   -60 min\n',
  listCategories: { items: [categoryExample, { id: '019a1f2e-7c71-7287-9b3c-c4d5e6f7081a', name: 'Vegetable beds', parentId: ids.category }] },
  listDirectory: { items: [componentExamples.DirectoryEntry], nextCursor: null },
  createTransferBatch: { items: [transferExample] },
  matchOffer: { items: [{ memberId: ids.mo, requestId: ids.request, score: matchExample.score, components: matchExample.components, distanceKm: matchExample.distanceKm, mark: null, remote: false }] },
  matchRequest: { items: [matchExample] },
  suggestCycles: { items: [moAndCora], truncated: false, cyclesFound: 1 },
  listAuditLog: { items: [componentExamples.AuditEntry], nextCursor: null },
  ...reportAnswerExamples,
};
