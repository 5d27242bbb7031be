import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { sequenceAll } from '../../src/use-cases/events.js';
import { postFromTwoProcesses } from '../helpers/race.js';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

/*
 * Events are numbered after commit (DESIGN.md sections 3 and 6): by every process at once, one
 * sequencer per timebank at a time, gap-free, and in commit order for everything that touches
 * the same account.
 */

const started: TestService[] = [];
afterAll(async () => {
  for (const each of started.reverse()) await each.close();
});

const rowsOf = (result: unknown) => (result as { rows: Array<Record<string, unknown>> }).rows;

describe('numbering events after commit', () => {
  it('numbers from two processes at once: every event once, without gaps, each account\'s in commit order', async () => {
    // Both services' sequencers run in the background; extra ones race them on purpose.
    const { first, seed, responses, raced } = await postFromTwoProcesses(started, 'Numbered', async (service) => (await sequenceAll(service.database.db)).numbered);
    expect(new Set(responses.map((response) => response.statusCode))).toEqual(new Set([201]));
    expect(raced).toBeGreaterThan(0);
    await first.sequenceEvents();

    const events = rowsOf(await first.database.db.execute(sql`SELECT sequence, type, data->>'id' AS subject FROM events WHERE timebank_id = ${seed.timebank.id} ORDER BY sequence`));
    expect(events.map((event) => Number(event.sequence))).toEqual(events.map((_, index) => index + 1));
    const created = events.filter((event) => event.type === 'transfer.created').map((event) => event.subject);
    expect(created.sort()).toEqual(responses.map((response) => response.json().id).sort());
    const outOfOrder = await first.database.db.execute(sql`
      SELECT e.account_id FROM entries e
        JOIN events ev ON ev.timebank_id = e.timebank_id AND ev.type = 'transfer.created' AND ev.data->>'id' = e.transfer_id::text
       WHERE e.timebank_id = ${seed.timebank.id}
       GROUP BY e.account_id
      HAVING array_agg(e.account_version ORDER BY ev.sequence) <> array_agg(e.account_version ORDER BY e.account_version)`);
    expect(rowsOf(outOfOrder)).toEqual([]);
  });

  it('refuses to change or delete an event, or to number it twice', async () => {
    const service = await startTestService();
    started.push(service);
    const seed = await seedTimebank(service);
    await service.sequenceEvents();
    const db = service.database.db;
    const where = sql`timebank_id = ${seed.timebank.id} AND sequence = 1`;
    await expect(db.execute(sql`UPDATE events SET data = '{}'::jsonb WHERE ${where}`)).rejects.toThrow();
    await expect(db.execute(sql`UPDATE events SET sequence = 99 WHERE ${where}`)).rejects.toThrow();
    await expect(db.execute(sql`DELETE FROM events WHERE ${where}`)).rejects.toThrow();
    expect(rowsOf(await db.execute(sql`SELECT count(*)::int AS n FROM events WHERE ${where}`))[0]!.n).toBe(1);
  });
});
