import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { rows } from '../../src/db/rows.js';
import { float8s, UuidPositions } from '../../src/db/uuids.js';

// The report scan reads the exchange graph's pairs as uuids and minutes in PostgreSQL's binary
// forms (uuid_send, float8send), concatenated: each must come back as the account it names and
// the exact number.

const bytesOf = (uuids: string[]) => Uint8Array.from(Buffer.from(uuids.map((uuid) => uuid.replaceAll('-', '')).join(''), 'hex'));

// Time-ordered uuids made together share their leading bytes: the lookup must not rely on them.
const timeOrdered = (count: number) =>
  Array.from({ length: count }, (_, n) => `01a22055-0e4c-7${(n % 4096).toString(16).padStart(3, '0')}-${randomUUID().slice(19)}`);

describe('UuidPositions', () => {
  it('finds each listed uuid at its position, random and time-ordered ones alike', () => {
    const listed = [...Array.from({ length: 3_000 }, () => randomUUID()), ...timeOrdered(3_000)];
    const asked = Array.from({ length: 20_000 }, (_, n) => (n * 7_919) % listed.length);
    const positions = new UuidPositions(listed).positionsOf(bytesOf(asked.map((at) => listed[at]!)));
    expect(Array.from(positions)).toEqual(asked);
  });

  it('reads upper-case text forms as the same uuids', () => {
    const listed = [randomUUID(), randomUUID()];
    const positions = new UuidPositions(listed.map((uuid) => uuid.toUpperCase())).positionsOf(bytesOf([listed[1]!, listed[0]!]));
    expect(Array.from(positions)).toEqual([1, 0]);
  });

  it('finds a uuid given as text, in either case, and refuses an unlisted one', () => {
    const listed = [...Array.from({ length: 500 }, () => randomUUID()), ...timeOrdered(500)];
    const positions = new UuidPositions(listed);
    expect(listed.map((uuid, at) => positions.positionOf(at % 2 === 0 ? uuid : uuid.toUpperCase()))).toEqual(listed.map((_, at) => at));
    expect(() => positions.positionOf(randomUUID())).toThrow(/unlisted uuid/);
    expect(() => positions.positionOf('not-a-uuid')).toThrow(/not a uuid/);
  });

  it('refuses an unlisted uuid, a partial one and a list naming one twice', () => {
    const listed = [randomUUID(), randomUUID()];
    const positions = new UuidPositions(listed);
    expect(() => positions.positionsOf(bytesOf([listed[0]!, randomUUID()]))).toThrow(/unlisted uuid at byte 16/);
    expect(() => positions.positionsOf(bytesOf(listed).subarray(0, 20))).toThrow(/not a multiple of 16/);
    expect(() => new UuidPositions([listed[0]!, listed[1]!, listed[0]!])).toThrow(/listed twice/);
    expect(() => new UuidPositions(['not-a-uuid'])).toThrow(/not a uuid/);
  });

  it('reads nothing from no bytes, and from a view into a larger buffer only its own bytes', () => {
    const listed = [randomUUID(), randomUUID(), randomUUID()];
    const positions = new UuidPositions(listed);
    expect(positions.positionsOf(new Uint8Array(0))).toHaveLength(0);
    const all = bytesOf([listed[2]!, listed[0]!, listed[1]!]);
    expect(Array.from(positions.positionsOf(all.subarray(16, 32)))).toEqual([0]);
  });
});

describe('float8s', () => {
  it('reads big-endian doubles exactly, integers to 2^53 included', () => {
    const values = [0, 1, -15, 90, 1_795_794_157_409, -86_400_000, 9_007_199_254_740_991];
    const buffer = new DataView(new ArrayBuffer(8 * values.length + 3));
    values.forEach((value, at) => buffer.setFloat64(3 + 8 * at, value));
    expect(Array.from(float8s(new Uint8Array(buffer.buffer, 3)))).toEqual(values);
    expect(() => float8s(new Uint8Array(12))).toThrow(/not a multiple of 8/);
  });
});

describe.each([
  ['PostgreSQL', () => openDatabase({ databaseUrl: inject('adminDatabaseUrl'), dataDir: '', poolSize: 1 })],
  ['PGlite', () => openDatabase({ databaseUrl: undefined, dataDir: '', inMemory: true })],
])('binary forms on %s', (_name, open) => {
  let database: Database;
  beforeAll(async () => {
    database = await open();
  });
  afterAll(async () => {
    await database.close();
  });

  it('string_agg of uuid_send and float8send comes back as bytes naming the same uuids and numbers', async () => {
    const listed = [randomUUID(), ...timeOrdered(5)];
    const minutes = [15, 60, 1_440, 9_007_199_254_740_991, 30, 45];
    const [found] = await rows(
      database.db,
      sql`SELECT string_agg(uuid_send(u), '' ORDER BY n DESC) AS uuids, string_agg(float8send(m::float8), '' ORDER BY n DESC) AS minutes
            FROM unnest(${`{${listed.join(',')}}`}::uuid[], ${`{${minutes.join(',')}}`}::bigint[]) WITH ORDINALITY AS x(u, m, n)`,
    );
    expect(found!.uuids).toBeInstanceOf(Uint8Array);
    expect(Array.from(new UuidPositions(listed).positionsOf(found!.uuids as Uint8Array))).toEqual([5, 4, 3, 2, 1, 0]);
    expect(Array.from(float8s(found!.minutes as Uint8Array))).toEqual([...minutes].reverse());
  });
});
