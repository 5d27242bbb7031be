import { at, ids } from './examples-story.js';

/* Examples of links between timebanks and of what a linked timebank shows and reports. */

const linkExample = {
  id: '019a1f30-1000-7a01-8b02-c3d4e5f60718',
  timebankId: ids.timebank,
  peerTimebankId: '019a1f30-0f00-7b12-9c23-d4e5f6071829',
  peerTimebankName: 'Hillside Time Bank',
  peerUrl: null,
  status: 'active',
  peerStatus: 'active',
  proposedByUs: true,
  clearingAccountId: '019a1f30-1001-7c23-ad34-e5f60718293a',
  balanceMinutes: 30,
  maxOwedByUsMinutes: 6000,
  maxOwedToUsMinutes: 6000,
  createdAt: at(5, '10:00'),
  updatedAt: at(5, '11:30'),
};

const linkedMemberExample = { accountId: '019a1f30-1101-7d34-be45-f60718293a4b', displayName: 'Ana', remote: true };
const linkedListingExample = {
  id: '019a1f30-1201-7e45-8f56-0718293a4b5c',
  kind: 'offer',
  title: 'Bike repairs',
  description: 'Brakes, gears and punctures',
  tags: ['bikes'],
  categoryName: 'Repairs',
  parentCategoryName: null,
  canBeRemote: false,
  availability: [{ day: 'sat', from: '10:00', to: '13:00' }],
  accountId: linkedMemberExample.accountId,
  displayName: 'Ana',
  createdAt: at(4),
  remote: true,
};

/** Examples of the federation schemas, by component name. */
export const federationComponentExamples: Record<string, unknown> = {
  Link: linkExample,
  LinkList: { items: [linkExample] },
  LinkedMember: linkedMemberExample,
  LinkedListing: linkedListingExample,
  LinkedDirectory: { members: [linkedMemberExample], listings: [linkedListingExample] },
  LinkReconciliation: { linkId: linkExample.id, localBalanceMinutes: 30, peerBalanceMinutes: -30, agree: true },
};

/** The federation section of the mutuality report. */
export const mutualityFederationExample = {
  exchangesOut: 1,
  minutesOut: 60,
  exchangesIn: 0,
  minutesIn: 0,
  members: 1,
  membersOut: 1,
  membersIn: 0,
  links: [
    {
      linkId: '019a1f30-1a00-7b21-8c32-4d5e6f708192',
      peerTimebankId: '019a1f2e-7c40-7d3a-9b1e-3f2a4c5d6e71',
      peerTimebankName: 'Hillside Time Bank',
      status: 'active',
      balanceMinutes: 60,
      exchangesOut: 1,
      minutesOut: 60,
      exchangesIn: 0,
      minutesIn: 0,
      maxOwedByUsMinutes: 6000,
      maxOwedToUsMinutes: 6000,
    },
  ],
};
