import nodemailer from 'nodemailer';
import type { Db } from '../db/client.js';
import { mailClaimsWaiting, sendDigests } from './mailer.js';
import { Periodic } from './periodic.js';

/** How often claim-waiting emails go out, and how often the digests due are looked for. */
const MAIL_INTERVAL_MS = 1_000;
const DIGEST_CHECK_MS = 60_000;

/** The mailer every process runs when SMTP_URL is set: nodemailer over that server. */
export function startMailer(db: Db, mail: { smtpUrl: string; from: string; publicUrl: string; key: Buffer }, clock: () => Date, onError: (error: unknown) => void): Periodic {
  const settings = { transport: nodemailer.createTransport(mail.smtpUrl), from: mail.from, publicUrl: mail.publicUrl, key: mail.key, onRefused: onError };
  let digestsLookedAt = 0;
  return new Periodic(async () => {
    await mailClaimsWaiting(db, settings);
    if (Date.now() - digestsLookedAt >= DIGEST_CHECK_MS) {
      digestsLookedAt = Date.now();
      await sendDigests(db, settings, clock());
    }
  }, { intervalMs: MAIL_INTERVAL_MS, onError });
}
