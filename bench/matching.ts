import { sql } from 'drizzle-orm';
import type { Db } from '../src/db/client.js';
import { listCategories } from '../src/db/queries/categories.js';
import { createTimebank } from '../src/use-cases/timebanks.js';
import { createTransferBatch, type TransferInput } from '../src/use-cases/ledger-write.js';
import { benchApp, benchDatabase, progress, seededRandom, seedMembers, summary, timeRuns, writeResults } from './support.js';

/*
 * Matching at scale: a timebank with 10,000 members, 50,000 open listings and 100,000 past
 * exchanges. Prints the median and p95 latency of a matches call and of a cycles call, with a
 * plain indexed lookup of the same request measured in the same run as the baseline.
 */

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 10_000);
const LISTINGS = Number(process.env.BENCH_LISTINGS ?? 50_000);
const EXCHANGES = Number(process.env.BENCH_EXCHANGES ?? 100_000);
const BASE_WORDS = ['garden', 'weeding', 'lawn', 'tutoring', 'maths', 'english', 'lift', 'driving', 'shopping', 'cooking', 'baking', 'meals', 'repair', 'bicycle', 'sewing', 'computer', 'phone', 'forms', 'letters', 'walking', 'dog', 'cat', 'company', 'visits', 'reading', 'music', 'piano', 'guitar', 'painting', 'cleaning', 'ironing', 'moving', 'boxes', 'translation', 'spanish', 'yoga', 'massage', 'listening', 'childcare', 'homework'];
// A vocabulary of a realistic size: the base words and pseudo-words made of syllables.
const SYLLABLES = ['ka', 'lo', 'mi', 'ren', 'tas', 'vu', 'sel', 'dor', 'pia', 'gue', 'net', 'bri', 'oma', 'zen', 'fal', 'tur'];
const WORDS = [...BASE_WORDS, ...SYLLABLES.flatMap((first) => SYLLABLES.flatMap((second) => SYLLABLES.slice(0, 3).map((third) => first + second + third)))];

export async function runMatchingBench() {
  const { database, finish } = await benchDatabase();
  const db = database.db;
  const random = seededRandom(42);
  try {
    const now = new Date();
    const timebank = await createTimebank(db, { name: 'Bench bank', settings: { defaultMinBalanceMinutes: -10_000_000, defaultMaxBalanceMinutes: 10_000_000 } }, now);
    const tb = timebank.id;
    const children = (await listCategories(db, tb)).filter((category) => category.parentId !== null);

    // Members and accounts in bulk: the benchmark is about reading them.
    console.log(`seeding ${MEMBERS} members, ${LISTINGS} listings, ${EXCHANGES} exchanges ...`);
    await seedMembers(db, tb, MEMBERS, 10_000_000);
    const memberRows = (await db.execute(sql`SELECT m.id, a.id AS account_id FROM members m JOIN accounts a ON a.member_id = m.id WHERE m.timebank_id = ${tb} ORDER BY m.id`)) as unknown as { rows: Array<{ id: string; account_id: string }> };
    const people = memberRows.rows;

    await seedListings(db, tb, people.map((person) => person.id), children.map((category) => category.id), random);
    progress('listings', LISTINGS, LISTINGS);

    // Exchanges through the real write path, in batches, with a skewed activity (a core trades often).
    const pick = () => people[Math.floor(Math.pow(random(), 2) * people.length)]!.account_id;
    const batches = Math.ceil(EXCHANGES / 1000);
    for (let batch = 0; batch < batches; batch += 1) {
      const items: TransferInput[] = [];
      while (items.length < Math.min(1000, EXCHANGES - batch * 1000)) {
        const payer = pick();
        const payee = pick();
        if (payer !== payee) items.push({ payerAccountId: payer, payeeAccountId: payee, minutes: 30 + Math.floor(random() * 8) * 15 });
      }
      await createTransferBatch({ db, timebankId: tb, principal: { type: 'admin', id: '00000000-0000-0000-0000-000000000000' }, idempotency: undefined, now: new Date() }, items);
      progress('exchanges', (batch + 1) * 1000, batches * 1000);
    }
    await db.execute(sql`ANALYZE`);

    const { app, token } = await benchApp(database);
    const requests = ((await db.execute(sql`SELECT id FROM listings WHERE timebank_id = ${tb} AND kind = 'request' ORDER BY id LIMIT 200`)) as unknown as { rows: Array<{ id: string }> }).rows.map((row) => row.id);

    const lookup = await timeRuns(100, (index) => db.execute(sql`SELECT * FROM listings WHERE timebank_id = ${tb} AND id = ${requests[index % requests.length]!}`));
    let candidatesSeen = 0;
    const matchTimes = await timeRuns(60, async (index) => {
      const response = await app.inject({ method: 'GET', url: `/v1/timebanks/${tb}/requests/${requests[index % requests.length]}/matches`, headers: { authorization: `Bearer ${token}` } });
      if (response.statusCode !== 200) throw new Error(response.body);
      candidatesSeen += response.json().items.length;
    });
    let cycleInfo = { chosen: 0, found: 0, truncated: false };
    const cycleTimes = await timeRuns(5, async () => {
      const response = await app.inject({ method: 'GET', url: `/v1/timebanks/${tb}/matches/cycles?maxLength=3`, headers: { authorization: `Bearer ${token}` } });
      if (response.statusCode !== 200) throw new Error(response.body);
      const body = response.json();
      cycleInfo = { chosen: body.items.length, found: body.cyclesFound, truncated: body.truncated };
    }, 1);
    await app.close();

    const results = {
      scale: { members: MEMBERS, listings: LISTINGS, exchanges: EXCHANGES },
      baselineIndexedLookup: summary(lookup),
      matches: { ...summary(matchTimes), averageItems: Math.round(candidatesSeen / matchTimes.length) },
      cycles: { ...summary(cycleTimes), ...cycleInfo },
    };
    const ratio = (value: number) => Math.round((value / results.baselineIndexedLookup.medianMs) * 10) / 10;
    console.table({
      'indexed lookup (baseline)': { median_ms: results.baselineIndexedLookup.medianMs, p95_ms: results.baselineIndexedLookup.p95Ms, x_baseline: 1 },
      'GET .../requests/{id}/matches': { median_ms: results.matches.medianMs, p95_ms: results.matches.p95Ms, x_baseline: ratio(results.matches.medianMs) },
      'GET .../matches/cycles?maxLength=3': { median_ms: results.cycles.medianMs, p95_ms: results.cycles.p95Ms, x_baseline: ratio(results.cycles.medianMs) },
    });
    console.log(`cycles: ${cycleInfo.found} found, ${cycleInfo.chosen} chosen, truncated ${cycleInfo.truncated}`);
    console.log(`written to ${writeResults('matching', results)}`);
    return results;
  } finally {
    await finish();
  }
}

async function seedListings(db: Db, timebankId: string, memberIds: string[], categoryIds: string[], random: () => number) {
  const chunk = 5000;
  for (let start = 0; start < LISTINGS; start += chunk) {
    const values = [];
    for (let index = start; index < Math.min(LISTINGS, start + chunk); index += 1) {
      const words = Array.from({ length: 2 + Math.floor(random() * 3) }, () => WORDS[Math.floor(random() * WORDS.length)]!);
      const title = words.join(' ');
      const tags = [WORDS[Math.floor(random() * WORDS.length)]!];
      const located = random() < 0.7;
      const day = Math.floor(random() * 7);
      const hour = 8 + Math.floor(random() * 10);
      const hours = random() < 0.5 ? Array.from({ length: 168 }, (_, bit) => (bit >= day * 24 + hour && bit < day * 24 + hour + 3 ? '1' : '0')).join('') : null;
      values.push(sql`(${timebankId}::uuid, gen_random_uuid(), ${index % 2 === 0 ? 'offer' : 'request'}, ${memberIds[Math.floor(random() * memberIds.length)]!}::uuid,
        ${title}, '', ${categoryIds[Math.floor(random() * categoryIds.length)]!}::uuid, ${`{${tags.join(',')}}`}::text[],
        ${located ? 51.4 + random() * 0.3 : null}::float8, ${located ? -0.3 + random() * 0.4 : null}::float8, ${random() < 0.5 ? 10 : null}::float8,
        ${random() < 0.3}, ${hours}::bit(168), 'open', now(), now(), ${`${title} ${tags.join(' ')}`}, ${`${title} ${tags.join(' ')}`})`);
    }
    await db.execute(sql`INSERT INTO listings (timebank_id, id, kind, member_id, title, description, category_id, tags, lat, lon,
      max_distance_km, remote, availability_hours, status, created_at, updated_at, search_text, skill_text) VALUES ${sql.join(values, sql`, `)}`);
    progress('listings', start + chunk, LISTINGS);
  }
}
