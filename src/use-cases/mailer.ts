import { createHmac, timingSafeEqual } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Transporter } from 'nodemailer';
import type { Db } from '../db/client.js';
import { rows } from '../db/rows.js';
import { findTransfer } from '../db/queries/transfers.js';
import { notFound } from '../domain/errors.js';
import type { Transfer } from './present/transfer.js';
import { digestFor, type Digest } from './digest.js';

/*
 * Email (docs/events.md, Email): the claim-waiting email, read from the event feed the way a
 * webhook is (a cursor per timebank, held by one process at a time), and the weekly digest.
 * Each email carries a link that turns its kind off, and List-Unsubscribe for one click.
 */

export type MailKind = 'claims' | 'digest';

/** Minutes as people read them: 1 h 15 min. */
export function formatMinutes(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return [hours > 0 ? `${hours} h` : '', rest > 0 || hours === 0 ? `${rest} min` : ''].filter(Boolean).join(' ');
}

export type MailSettings = { transport: Pick<Transporter, 'sendMail'>; from: string; publicUrl: string; key: Buffer; onRefused?: (error: unknown) => void };

/** The signed token of an unsubscribe link: who, and which kind of email. */
export function unsubscribeToken(key: Buffer, who: { timebankId: string; memberId: string }, kind: MailKind): string {
  const body = `${who.timebankId}.${who.memberId}.${kind}`;
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

export function readUnsubscribeToken(key: Buffer, token: string): { timebankId: string; memberId: string; kind: MailKind } {
  const parts = token.split('.');
  const [timebankId, memberId, kind, signature] = parts;
  const expected = parts.length === 4 ? createHmac('sha256', key).update(`${timebankId}.${memberId}.${kind}`).digest() : Buffer.alloc(0);
  const given = Buffer.from(signature ?? '', 'base64url');
  if (given.length !== 32 || expected.length !== 32 || !timingSafeEqual(given, expected) || (kind !== 'claims' && kind !== 'digest')) {
    throw notFound('Unsubscribe link');
  }
  return { timebankId: timebankId!, memberId: memberId!, kind };
}

/** Turns one kind of email off for a member, from the link in an email: no login needed. */
export async function unsubscribe(db: Db, key: Buffer, token: string): Promise<{ unsubscribed: MailKind }> {
  const { timebankId, memberId, kind } = readUnsubscribeToken(key, token);
  const column = kind === 'claims' ? sql`notify_claims` : sql`notify_digest`;
  const changed = await rows(db, sql`UPDATE members SET ${column} = false WHERE timebank_id = ${timebankId} AND id = ${memberId} RETURNING id`);
  if (changed.length === 0) throw notFound('Member');
  return { unsubscribed: kind };
}

type Recipient = { timebankId: string; memberId: string; email: string; displayName: string };

async function send(settings: MailSettings, to: Recipient, kind: MailKind, subject: string, lines: string[]): Promise<void> {
  const link = `${settings.publicUrl}/v1/email/unsubscribe?token=${unsubscribeToken(settings.key, to, kind)}`;
  const what = kind === 'claims' ? 'emails about claims waiting for you' : 'the weekly digest';
  await settings.transport.sendMail({
    from: settings.from,
    to: { name: to.displayName, address: to.email },
    subject,
    text: [`Hello ${to.displayName},`, '', ...lines, '', `Open the time bank: ${settings.publicUrl}/app/`, '', `No more ${what}: ${link}`].join('\n'),
    list: { unsubscribe: { url: link, comment: `No more ${what}` } },
    headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  });
}

/** The member a pending transfer waits on: the party that did not record it (none when a third party did), if it wants these emails. */
async function waitsOn(db: Db, transfer: Transfer): Promise<Recipient | undefined> {
  const found = await rows(
    db,
    sql`SELECT m.id, m.email, m.display_name, m.status, m.notify_claims FROM accounts a JOIN members m ON m.timebank_id = a.timebank_id AND m.id = a.member_id
         WHERE a.timebank_id = ${transfer.timebankId} AND a.id IN (${transfer.payerAccountId}, ${transfer.payeeAccountId})`,
  );
  const recorder = transfer.recordedBy.id;
  if (!found.some((row) => row.id === recorder)) return undefined;
  const other = found.find((row) => row.id !== recorder);
  if (!other || other.status !== 'active' || other.notify_claims !== true) return undefined;
  return { timebankId: transfer.timebankId, memberId: String(other.id), email: String(other.email), displayName: String(other.display_name) };
}

/**
 * Sends one email; one the server refuses for its recipient or content is given up (and told
 * to `onRefused`) so that it holds up no other, while a server that cannot be reached throws,
 * and the whole batch is tried again later.
 */
async function sendOrSkip(settings: MailSettings, to: Recipient, kind: MailKind, subject: string, lines: string[]): Promise<boolean> {
  try {
    await send(settings, to, kind, subject, lines);
    return true;
  } catch (error) {
    const { code, responseCode } = error as { code?: string; responseCode?: number };
    if (code === 'EENVELOPE' || code === 'EMESSAGE' || (responseCode !== undefined && responseCode >= 500)) {
      settings.onRefused?.(error);
      return false;
    }
    throw error;
  }
}

/**
 * Sends the claim-waiting emails for the events numbered since the last run, timebank by
 * timebank: a timebank's cursor is held (SKIP LOCKED) while its emails go, and moves only if
 * they all went, so a failure sends them again (at least once). A claim resolved meanwhile gets none.
 */
export async function mailClaimsWaiting(db: Db, settings: MailSettings): Promise<number> {
  const due = await rows(db, sql`SELECT h.timebank_id FROM event_heads h LEFT JOIN mail_cursors c ON c.timebank_id = h.timebank_id WHERE h.last_sequence > coalesce(c.delivered_through, 0)`);
  let sent = 0;
  for (const { timebank_id: timebankId } of due) {
    sent += await db.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO mail_cursors (timebank_id, delivered_through) VALUES (${timebankId}, 0) ON CONFLICT DO NOTHING`);
      const [cursor] = await rows(tx, sql`SELECT delivered_through FROM mail_cursors WHERE timebank_id = ${timebankId} FOR UPDATE SKIP LOCKED`);
      if (!cursor) return 0;
      const events = await rows(
        tx,
        sql`SELECT sequence, type, data FROM events WHERE timebank_id = ${timebankId} AND sequence > ${cursor.delivered_through}
             ORDER BY sequence LIMIT 200`,
      );
      let count = 0;
      for (const event of events) {
        const data = event.data as Transfer;
        if (event.type !== 'transfer.created' || data.status !== 'pending') continue;
        const current = await findTransfer(tx, String(timebankId), data.id);
        const to = current?.transfer.status === 'pending' ? await waitsOn(tx, current.transfer) : undefined;
        if (!to || !current) continue;
        const from = await otherParty(tx, current.transfer, to.memberId);
        const sent = await sendOrSkip(settings, to, 'claims', `${from} recorded ${formatMinutes(data.minutes)} with you: please confirm`, [
          `${from} recorded ${formatMinutes(data.minutes)}${data.description ? ` (${data.description})` : ''} and is waiting for you to confirm it.`,
          data.autoConfirmAt ? `If nobody confirms or rejects it, it is settled as the time bank decides on ${data.autoConfirmAt.slice(0, 10)}.` : '',
        ]);
        if (sent) count += 1;
      }
      const last = events.at(-1);
      if (last) await tx.execute(sql`UPDATE mail_cursors SET delivered_through = ${last.sequence} WHERE timebank_id = ${timebankId}`);
      return count;
    });
  }
  return sent;
}

async function otherParty(db: Db, transfer: Transfer, memberId: string): Promise<string> {
  const [row] = await rows(
    db,
    sql`SELECT m.display_name FROM accounts a JOIN members m ON m.timebank_id = a.timebank_id AND m.id = a.member_id
         WHERE a.timebank_id = ${transfer.timebankId} AND a.id IN (${transfer.payerAccountId}, ${transfer.payeeAccountId}) AND m.id <> ${memberId}`,
  );
  return row ? String(row.display_name) : 'The community';
}

export const DIGEST_EVERY_DAYS = 7;

/**
 * The weekly digest, to each member who wants it and has something in it, at most once a week.
 * Members are claimed first (their digest_sent_at set, SKIP LOCKED), so that two processes never
 * send one member two digests; a digest the server refuses is not tried again that week.
 */
export async function sendDigests(db: Db, settings: MailSettings, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - DIGEST_EVERY_DAYS * 86_400_000).toISOString();
  const due = await rows(
    db,
    sql`UPDATE members m SET digest_sent_at = ${now.toISOString()}::timestamptz
         WHERE (m.timebank_id, m.id) IN (
           SELECT timebank_id, id FROM members
            WHERE status = 'active' AND notify_digest AND coalesce(digest_sent_at, created_at) <= ${cutoff}::timestamptz
            LIMIT 500 FOR UPDATE SKIP LOCKED)
        RETURNING m.timebank_id, m.id, m.email, m.display_name`,
  );
  let sent = 0;
  for (const row of due) {
    const to: Recipient = { timebankId: String(row.timebank_id), memberId: String(row.id), email: String(row.email), displayName: String(row.display_name) };
    const digest = await digestFor(db, to, now);
    if (hasNews(digest) && (await sendOrSkip(settings, to, 'digest', 'Your week at the time bank', digestLines(digest)))) sent += 1;
  }
  return sent;
}

const hasNews = (digest: Digest) => digest.waiting.length + digest.offers.length + digest.expiring.length > 0;

function digestLines(digest: Digest): string[] {
  return [
    ...(digest.waiting.length ? ['Waiting for your confirmation:', ...digest.waiting.map((claim) => `- ${formatMinutes(claim.minutes)} from ${claim.from}${claim.description ? `: ${claim.description}` : ''}`), ''] : []),
    ...(digest.offers.length ? ['New offers for what you asked for:', ...digest.offers.map((offer) => `- ${offer.title} (${offer.by})`), ''] : []),
    ...(digest.expiring.length ? ['Your listings ending soon:', ...digest.expiring.map((listing) => `- ${listing.title}, on ${listing.expiresAt.slice(0, 10)}`)] : []),
  ];
}
