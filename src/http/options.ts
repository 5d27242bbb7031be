import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { ApplicationMail } from '../use-cases/application-mail.js';
import type { Federation } from '../use-cases/federation/client.js';
import type { FeedSignal } from '../use-cases/events.js';
import type { DeliverySettings } from '../use-cases/webhook-delivery.js';
import type { Reads } from '../use-cases/reads.js';
import type { SessionSettings } from '../use-cases/sessions.js';

/** What every route group receives from buildApp. */
export type RouteOptions = {
  /** Passed on to the use cases (writes, reports, matching): routes run no query of their own. */
  database: Database;
  /** The reads routes make directly, answered in the API's shapes. */
  reads: Reads;
  loginRateLimit: Config['loginRateLimit'];
  /** The time, injectable so that tests can move it. */
  clock: () => Date;
  /** Keys the pseudonyms of the exchange export; derived from the JWT secret. */
  pseudonymKey: Buffer;
  /** Group commit: at most this many single transfers per transaction (1: each its own). */
  transferGroupMax: number;
  /** How long a login's session lasts without a refresh, and the key of its refresh tokens. */
  sessions: SessionSettings;
  /** Wakes readers of the event feed waiting in this process when the sequencer numbers events. */
  feedSignal: FeedSignal;
  /** Which hosts webhooks may reach, and the box their secrets are kept in. */
  webhooks: Pick<DeliverySettings, 'allowedHosts' | 'secrets'>;
  /** Signs the unsubscribe links in emails; derived from the JWT secret. */
  mailKey: Buffer;
  /** Where the first-run setup token is kept (DATA_DIR); without it, no setup link works. */
  dataDir: string | undefined;
  /** This deployment as a party to links with other deployments: its key, its URL and the hosts it may reach. */
  federation: Federation;
  /** Emails applicants the coordinators' decision; absent without SMTP_URL. */
  applicationMail?: ApplicationMail | undefined;
};
