/*
 * The story every example of the contract tells (Riverside Time Bank, where Mo pays Cora for an
 * hour in the garden): its ids, its timebank, people, accounts and first transfer.
 */

export const ids = {
  timebank: '019a1f2e-7c40-7d3a-9b1e-3f2a4c5d6e70',
  commons: '019a1f2e-7c41-7a55-8c2d-1e2f3a4b5c60',
  cora: '019a1f2e-7c52-7b10-a3c4-5d6e7f8091a2',
  coraAccount: '019a1f2e-7c53-7c21-b4d5-6e7f8091a2b3',
  mo: '019a1f2e-7c64-7d32-85e6-7f8091a2b3c4',
  moAccount: '019a1f2e-7c65-7e43-96f7-8091a2b3c4d5',
  transfer: '019a1f2f-0a10-7f54-a708-91a2b3c4d5e6',
  pending: '019a1f2f-0b20-7065-b819-a2b3c4d5e6f7',
  category: '019a1f2e-7c70-7176-8a2b-b3c4d5e6f708',
  request: '019a1f2e-9d00-7287-9b3c-c4d5e6f70819',
  offer: '019a1f2e-9e00-7398-ac4d-d5e6f708192a',
  client: '019a1f2e-7c80-74a9-bd5e-e6f708192a3b',
} as const;

const settings = {
  defaultMinBalanceMinutes: -600,
  defaultMaxBalanceMinutes: 6000,
  confirmation: 'counterparty',
  autoConfirmAfterHours: 72,
  autoConfirmMemberClaims: false,
  maxOpenClaims: 5,
  joinPolicy: 'application',
  stalledAfterDays: 14,
};

export const timebankExample = {
  id: ids.timebank,
  name: 'Riverside Time Bank',
  slug: 'riverside-time-bank',
  commonsAccountId: ids.commons,
  settings,
  createdAt: '2026-03-02T09:00:00.000Z',
};

export const memberExample = {
  id: ids.mo,
  timebankId: ids.timebank,
  accountId: ids.moAccount,
  displayName: 'Mo',
  email: 'mo@example.org',
  kind: 'person',
  role: 'member',
  status: 'active',
  externalId: 'vp-volunteer-4821',
  metadata: { volunteerPlatformProfile: 'https://volunteers.example/p/4821' },
  notifications: { claims: true, digest: true },
  phone: '+44 20 7946 0321',
  contactSharing: { email: false, phone: true }, federationVisible: false,
  createdAt: '2026-03-02T09:05:00.000Z',
};

export const accountExample = {
  id: ids.moAccount,
  timebankId: ids.timebank,
  memberId: ids.mo,
  kind: 'member',
  balanceMinutes: -150,
  pendingDebitMinutes: 0,
  pendingCreditMinutes: 0,
  availableMinutes: 450,
  minBalanceMinutes: -600,
  maxBalanceMinutes: 6000,
  givenMinutes: 0,
  receivedMinutes: 150,
  asOf: null,
};

export const transferInputExample = {
  payerAccountId: ids.moAccount,
  payeeAccountId: ids.coraAccount,
  minutes: 60,
  description: 'Help in the garden',
};

export const transferExample = {
  id: ids.transfer,
  timebankId: ids.timebank,
  payerAccountId: ids.moAccount,
  payeeAccountId: ids.coraAccount,
  minutes: 60,
  status: 'posted',
  description: 'Help in the garden',
  categoryId: null,
  requestId: null,
  offerId: null,
  brokered: false,
  createdAt: '2026-03-09T16:20:00.000Z',
  updatedAt: '2026-03-09T16:20:00.000Z',
  autoConfirmAt: null,
  postedAt: '2026-03-09T16:20:00.000Z',
  resolvedAt: null,
  sequence: 1,
  hash: '9c1d6f0b3a8e4f27b5d2c6a1e0f9b8d7c6a5e4f3b2c1d0e9f8a7b6c5d4e3f2a1',
  reversesTransferId: null,
  reversedByTransferId: null,
  reason: null,
  overrideLimits: false,
  externalId: null,
  metadata: {},
  recordedBy: { type: 'member', id: ids.mo },
  link: null,
  remoteTransferId: null,
};

export const categoryExample = { id: ids.category, name: 'Gardening', parentId: null };

export const clientExample = {
  id: ids.client,
  timebankId: ids.timebank,
  name: 'Volunteer platform',
  scopes: ['members:read', 'ledger:read', 'ledger:write'],
  createdAt: '2026-03-03T10:00:00.000Z',
  createdByMemberId: ids.cora,
  lastUsedAt: null,
  revokedAt: null,
  previousSecretExpiresAt: null,
};

export const at = (day: number, time = '10:00') => `2026-03-${String(day).padStart(2, '0')}T${time}:00.000Z`;
