import type { Db } from '../src/db/client.js';
import type { Principal } from '../src/domain/principal.js';
import { applyToJoin } from '../src/use-cases/applications.js';
import { createTransfer, type WriteRequest } from '../src/use-cases/ledger-write.js';
import { createListing, updateListing } from '../src/use-cases/listings.js';
import { updateTimebank } from '../src/use-cases/timebanks.js';

/*
 * What the demo's last weeks look like to a coordinator: exchange loops waiting in open offers
 * and requests (the dashboard's suggested loops), needs met and unmet, requests nobody answered,
 * and people asking to join.
 */

const DAY = 86_400_000;

type DemoMember = { id: string; accountId: string; email: string };
type Category = { id: string; name: string };
export type Community = { db: Db; timebankId: string; coordinator: Principal; members: DemoMember[]; categories: Category[]; now: Date };

/** Open listings that close loops of three: A offers what B asks for, B what C asks for, C what A asks for. */
export async function seedLoops(community: Community, loops: number): Promise<void> {
  const { db, timebankId, members, categories, now } = community;
  for (let loop = 0; loop < loops; loop += 1) {
    const trio = [0, 1, 2].map((index) => members[100 + loop * 3 + index]!);
    for (let index = 0; index < 3; index += 1) {
      const giver = trio[index]!;
      const asker = trio[(index + 1) % 3]!;
      const category = categories[(loop * 3 + index) % categories.length]!;
      // Recent, remote and worded alike, as neighbours who need the same thing write it.
      const listing = { title: category.name, categoryId: category.id, tags: [category.name.split(' ')[0]!.toLowerCase()], location: null, remote: true, availability: null };
      const created = new Date(now.getTime() - (1 + loop) * DAY);
      await createListing(db, timebankId, 'offer', giver.id, listing, created);
      await createListing(db, timebankId, 'request', asker.id, listing, created);
    }
  }
}

/**
 * Requests of the last two months: a third met by an exchange that names them, a third given up
 * as unmet, the rest left without an answer (the stalled queue, and unmet needs by category).
 */
export async function seedNeeds(community: Community, count: number): Promise<void> {
  const { db, timebankId, members, categories, coordinator, now } = community;
  const request = (at: Date): WriteRequest => ({ db, timebankId, principal: coordinator, idempotency: undefined, now: at });
  for (let index = 0; index < count; index += 1) {
    const asker = members[150 + index]!;
    const helper = members[200 + index]!;
    const category = categories[(index * 5) % categories.length]!;
    const created = new Date(now.getTime() - (20 + index * 3) * DAY);
    const need = await createListing(db, timebankId, 'request', asker.id, { title: `Help with ${category.name.toLowerCase()}`, categoryId: category.id, tags: [], location: null, remote: true, availability: null }, created);
    if (index % 3 === 0) {
      // Met: the exchange names the request.
      await createTransfer(request(new Date(created.getTime() + 4 * DAY)), { payerAccountId: asker.accountId, payeeAccountId: helper.accountId, minutes: 90, description: need.title, categoryId: category.id, requestId: need.id }).catch(() => undefined);
    } else if (index % 3 === 1) {
      // Unmet: its member gave up on it.
      await updateListing(db, timebankId, 'request', need.id, { stage: 'unmet' }, new Date(created.getTime() + 10 * DAY));
    }
  }
}

/** The time bank takes applications, and three wait for the coordinator: one from someone who is a member already. */
export async function seedApplications(community: Community): Promise<void> {
  const { db, timebankId, coordinator, members, now } = community;
  await updateTimebank(db, timebankId, { settings: { joinPolicy: 'application' } }, { principal: coordinator, requestId: 'demo' }, now);
  const applicants = [
    { displayName: 'Noor Haddad', email: 'noor@demo.example', about: 'New to the area; I can cook for groups and would love help with my garden.' },
    { displayName: 'Pat Okoye', email: 'pat@demo.example', about: 'Retired teacher: reading with children, help with forms.' },
    { displayName: 'Again, a member', email: members[10]!.email, about: 'Applied twice by mistake.' },
  ];
  for (const [index, applicant] of applicants.entries()) {
    await applyToJoin(db, timebankId, { ...applicant, password: 'demo-applicant-password' }, new Date(now.getTime() - (index + 1) * DAY));
  }
}
