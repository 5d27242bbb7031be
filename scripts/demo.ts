import { SingleBar, Presets } from 'cli-progress';
import { eq } from 'drizzle-orm';
import { loadConfig, loadDotEnvFile } from '../src/config.js';
import { openDatabase, type Db } from '../src/db/client.js';
import { listCategories } from '../src/db/queries/categories.js';
import { timebanks } from '../src/db/schema.js';
import type { Principal } from '../src/domain/principal.js';
import { createListing } from '../src/use-cases/listings.js';
import { createMember } from '../src/use-cases/members.js';
import { createTimebank } from '../src/use-cases/timebanks.js';
import { confirmTransfer, createTransfer, reverseTransfer } from '../src/use-cases/ledger-write.js';
import type { WriteRequest } from '../src/use-cases/ledger-write.js';
import { seedApplications, seedLoops, seedNeeds, type Community } from './demo-community.js';

/*
 * `npm run demo`: a demo timebank with a year of realistic activity, created through the
 * service's own use cases in the database `npm start` uses (DATABASE_URL, or the embedded one in
 * DATA_DIR: stop the service first, the embedded database has one owner at a time). Running it
 * again changes nothing and prints the logins again.
 */

const SLUG = 'demo-time-bank';
const PASSWORD = 'demo-password-2026';
const MEMBERS = 300;
const DAY = 86_400_000;

const first = ['Ada', 'Ben', 'Cleo', 'Dev', 'Eli', 'Fay', 'Gus', 'Hana', 'Ivo', 'Jo', 'Kai', 'Lea', 'Mo', 'Nia', 'Omar', 'Pia', 'Quin', 'Rosa', 'Sami', 'Tess', 'Uma', 'Vic', 'Wren', 'Xia', 'Yusuf', 'Zoe'];
const last = ['Abbott', 'Baker', 'Chen', 'Diaz', 'Evans', 'Fox', 'Gray', 'Hughes', 'Iqbal', 'Jones', 'Khan', 'Lopez', 'Mensah', 'Novak', 'Okafor', 'Patel', 'Quinn', 'Reid', 'Silva', 'Turner'];
const organisations = ['Riverside Food Bank', 'Hillside Recovery Café', 'St Mark\'s Community Hall', 'Northside Library'];

function seeded(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

async function main() {
  loadDotEnvFile();
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 4 });
  await database.migrate();
  const db = database.db;
  try {
    const [existing] = await db.select().from(timebanks).where(eq(timebanks.slug, SLUG));
    if (!existing) {
      await seed(db);
    } else {
      console.log('The demo timebank is already there; nothing changed.');
    }
    const [timebank] = await db.select().from(timebanks).where(eq(timebanks.slug, SLUG));
    console.log(`
Demo timebank "${timebank!.name}" (id ${timebank!.id}). Log in with password ${PASSWORD} as:
  coordinator  coordinator@demo.example
  members      member1@demo.example ... member${MEMBERS}@demo.example
Start the service (npm start) and open the web client at
  http://127.0.0.1:${config.port}/app/?timebank=${SLUG}
(the coordinator also sees the community dashboard), the API documentation at
  http://127.0.0.1:${config.port}/docs
or ask for a token:
  curl -s http://127.0.0.1:${config.port}/v1/auth/token -H 'content-type: application/json' \\
    -d '{"grant_type":"password","username":"coordinator@demo.example","password":"${PASSWORD}","timebank_id":"${timebank!.id}"}'`);
  } finally {
    await database.close();
  }
}

async function seed(db: Db) {
  const random = seeded(2026);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const start = new Date(Date.now() - 365 * DAY);
  const bar = new SingleBar({ format: 'demo data [{bar}] {percentage}% {stage}', hideCursor: true }, Presets.shades_classic);
  const steps = MEMBERS + 400 + 3000;
  bar.start(steps, 0, { stage: 'members' });

  const timebank = await createTimebank(db, { name: 'Demo Time Bank', slug: SLUG, settings: { confirmation: 'counterparty', autoConfirmAfterHours: 72 } }, start);
  const tb = timebank.id;
  const coordinator = await createMember(db, tb, { displayName: 'Cora Coordinator', email: 'coordinator@demo.example', password: PASSWORD, role: 'coordinator' }, start);
  const members = [];
  for (let index = 1; index <= MEMBERS; index += 1) {
    // Members join over the year, more at the start.
    const joined = new Date(start.getTime() + Math.pow(random(), 2) * 300 * DAY);
    const organisation = index <= organisations.length;
    members.push({
      ...(await createMember(
        db,
        tb,
        {
          displayName: organisation ? organisations[index - 1]! : `${pick(first)} ${pick(last)}`,
          email: `member${index}@demo.example`,
          // Hashing takes a while: only the first few members get the shared demo password.
          password: index <= 20 ? PASSWORD : undefined,
          kind: organisation ? 'organisation' : 'person',
        },
        joined,
      )),
      joined,
    });
    bar.increment(1, { stage: 'members' });
  }

  const categories = (await listCategories(db, tb)).filter((category) => category.parentId !== null);
  const titles: Record<string, string[]> = {};
  for (const category of categories) titles[category.id] = [category.name, `Help with ${category.name.toLowerCase()}`, `${category.name} on weekends`];
  for (let index = 0; index < 400; index += 1) {
    const member = pick(members);
    const category = pick(categories);
    await createListing(
      db,
      tb,
      index % 2 === 0 ? 'offer' : 'request',
      member.id,
      {
        title: pick(titles[category.id]!),
        categoryId: category.id,
        tags: [category.name.split(' ')[0]!.toLowerCase()],
        location: random() < 0.6 ? { lat: 51.45 + random() * 0.1, lon: -0.15 + random() * 0.2 } : null,
        remote: random() < 0.3,
        availability: random() < 0.5 ? [{ day: pick(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const), from: '09:00', to: '13:00' }] : null,
      },
      new Date(Math.max(member.joined.getTime(), start.getTime() + random() * 360 * DAY)),
    );
    bar.increment(1, { stage: 'listings' });
  }

  // The shape of a real timebank: a core trades often, most rarely; some only give (often
  // organisations and retired volunteers), some only receive; a few loops.
  const core = members.slice(4, 34);
  const giversOnly = members.slice(34, 44);
  const receiversOnly = members.slice(44, 54);
  const occasional = members.slice(54);
  const coordinatorPrincipal: Principal = { type: 'member', id: coordinator.id, timebankId: tb, role: 'coordinator' };
  const request = (now: Date): WriteRequest => ({ db, timebankId: tb, principal: coordinatorPrincipal, idempotency: undefined, now });
  const posted: string[] = [];
  for (let index = 0; index < 3000; index += 1) {
    const now = new Date(start.getTime() + ((index + random()) / 3000) * 360 * DAY);
    const roll = random();
    let giver = roll < 0.5 ? pick(core) : roll < 0.65 ? pick(giversOnly) : pick(occasional);
    let receiver = roll < 0.45 ? pick(core) : roll < 0.6 ? pick(receiversOnly) : pick(occasional);
    if (index % 50 === 0) giver = members[random() < 0.5 ? 0 : 1]!; // organisations give group sessions
    if (giver.id === receiver.id || giver.joined > now || receiver.joined > now) {
      bar.increment(1, { stage: 'exchanges' });
      continue;
    }
    if (giversOnly.includes(receiver)) receiver = pick(core);
    const category = pick(categories);
    const result = await createTransfer(request(now), {
      payerAccountId: receiver.accountId,
      payeeAccountId: giver.accountId,
      minutes: 15 * (2 + Math.floor(random() * 10)),
      description: pick(titles[category.id]!),
      categoryId: category.id,
      pending: index % 97 === 0 ? true : undefined,
    }).catch(() => undefined); // a transfer past someone's limits is simply not made
    const body = result?.body as { id: string; status: string } | undefined;
    if (body?.status === 'posted') posted.push(body.id);
    if (body?.status === 'pending' && index % 2 === 0) await confirmTransfer(request(new Date(now.getTime() + DAY)), body.id).catch(() => undefined);
    if (index % 40 === 0) {
      // Donations into the commons, and community work paid from it.
      await createTransfer(request(now), { payerAccountId: pick(core).accountId, payeeAccountId: timebank.commonsAccountId, minutes: 60, description: 'Donation to the commons' }).catch(() => undefined);
      await createTransfer(request(now), { payerAccountId: timebank.commonsAccountId, payeeAccountId: pick(occasional).accountId, minutes: 90, description: 'Community garden day' }).catch(() => undefined);
    }
    if (index % 500 === 499 && posted.length > 0) {
      await reverseTransfer(request(now), posted[posted.length - 1]!, { reason: 'Recorded twice' }).catch(() => undefined);
    }
    bar.increment(1, { stage: 'exchanges' });
  }
  const community: Community = { db, timebankId: tb, coordinator: coordinatorPrincipal, members, categories, now: new Date() };
  bar.update(steps, { stage: 'loops, needs and applications' });
  await seedLoops(community, 4);
  await seedNeeds(community, 9);
  await seedApplications(community);
  bar.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
