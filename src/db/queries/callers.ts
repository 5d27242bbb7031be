import { sql } from 'drizzle-orm';
import type { CallerState, TokenClaims } from '../../domain/tokens.js';
import { arrayLiteral } from '../arrays.js';
import type { Db } from '../client.js';
import { preparedRows } from '../rows.js';
import { TurnBatch } from '../turn-batch.js';

type Row = {
  type: 'member' | 'admin' | 'client';
  id: string;
  timebank_id: string | null;
  role: 'member' | 'coordinator' | null;
  status: 'active' | 'suspended' | 'left' | 'revoked';
  token_version: number;
  scopes: string[] | null;
  session_revoked: boolean;
};

const keyOf = (claims: TokenClaims) => `${claims.typ}/${claims.sub}/${'sid' in claims ? claims.sid : ''}`;

/**
 * The current state of the callers that requests of one turn of the event loop present tokens
 * for, in one statement: members (by timebank and id, as the primary key is), admins, clients and
 * the sessions the tokens name. Every authenticated request waits for it, so a change committed
 * before a request arrives is seen by that request.
 */
async function readCallers(db: Db, keys: TokenClaims[]): Promise<Map<string, CallerState>> {
  const ids = (typ: TokenClaims['typ']) => arrayLiteral([...new Set(keys.filter((key) => key.typ === typ).map((key) => key.sub))]);
  const timebankIds = arrayLiteral([...new Set(keys.flatMap((key) => ('tbid' in key ? [key.tbid] : [])))]);
  const sessionIds = arrayLiteral([...new Set(keys.flatMap((key) => ('sid' in key ? [key.sid] : [])))]);
  const found = (await preparedRows(db, sql`
    WITH live AS (
      SELECT id FROM sessions WHERE id = ANY(${sessionIds}::uuid[]) AND revoked_at IS NULL
    )
    SELECT 'member' AS type, m.id, m.timebank_id, m.role, m.status, m.token_version, NULL::text[] AS scopes,
      false AS session_revoked
      FROM members m WHERE m.timebank_id = ANY(${timebankIds}::uuid[]) AND m.id = ANY(${ids('member')}::uuid[])
    UNION ALL
    SELECT 'admin', a.id, NULL, NULL, 'active', a.token_version, NULL, false
      FROM platform_admins a WHERE a.id = ANY(${ids('admin')}::uuid[])
    UNION ALL
    SELECT 'client', c.id, c.timebank_id, NULL, CASE WHEN c.revoked_at IS NULL THEN 'active' ELSE 'revoked' END, 0, c.scopes, false
      FROM clients c WHERE c.timebank_id = ANY(${timebankIds}::uuid[]) AND c.id = ANY(${ids('client')}::uuid[])
    UNION ALL
    SELECT 'session', l.id, NULL, NULL, 'active', 0, NULL, false FROM live l
  `)) as Row[];
  const liveSessions = new Set<string>();
  const rows = new Map<string, Row>();
  for (const row of found) {
    if ((row.type as string) === 'session') liveSessions.add(row.id);
    else rows.set(`${row.type}/${row.timebank_id ?? ''}/${row.id}`, row);
  }
  const states = new Map<string, CallerState>();
  for (const key of keys) {
    const row = rows.get(`${key.typ}/${'tbid' in key ? key.tbid : ''}/${key.sub}`);
    // A session that is revoked, or that never existed, ends the token alike.
    if (row) states.set(keyOf(key), stateOf(row, 'sid' in key && !liveSessions.has(key.sid)));
  }
  return states;
}

function stateOf(row: Row, sessionRevoked: boolean): CallerState {
  switch (row.type) {
    case 'admin':
      return { type: 'admin', tokenVersion: Number(row.token_version), sessionRevoked };
    case 'member':
      return {
        type: 'member',
        timebankId: row.timebank_id!,
        role: row.role!,
        status: row.status as 'active' | 'suspended' | 'left',
        tokenVersion: Number(row.token_version),
        sessionRevoked,
      };
    case 'client':
      return { type: 'client', timebankId: row.timebank_id!, scopes: row.scopes ?? [], revoked: row.status === 'revoked' };
  }
}

const readers = new WeakMap<Db, TurnBatch<TokenClaims, CallerState>>();

/** The current state of the caller a token names (calls arriving together share a query). */
export function readCallerState(db: Db, claims: TokenClaims): Promise<CallerState | undefined> {
  let reader = readers.get(db);
  if (!reader) readers.set(db, (reader = new TurnBatch((keys) => readCallers(db, keys), keyOf)));
  return reader.read(claims);
}
