import { Rejection } from './errors.js';
import { withoutUndefined } from './objects.js';

export type Confirmation = 'none' | 'counterparty';

/** Who may join: coordinators add members (closed), people apply (application), or join at once (open). */
export type JoinPolicy = 'closed' | 'application' | 'open';

export type TimebankSettings = {
  /** Credit floor given to each new account: how far a member may receive before giving. */
  defaultMinBalanceMinutes: number;
  /** Cap given to each new account: how much a member may bank before spending. */
  defaultMaxBalanceMinutes: number;
  /** Whether hours recorded by the one who gave help wait for the receiver's confirmation. */
  confirmation: Confirmation;
  /**
   * A pending transfer's deadline, in hours (0: none): a broker's posts by itself then, and a
   * member's claim nobody confirmed expires (or posts, with autoConfirmMemberClaims).
   */
  autoConfirmAfterHours: number;
  /** Whether a member's claim that its payer has not confirmed by the deadline posts (within the limits) instead of expiring. */
  autoConfirmMemberClaims: boolean;
  /** How many members' claims may wait on one payer at once (on the commons: per claimant). */
  maxOpenClaims: number;
  /** Whether people may apply to join, and whether an application is approved at once. */
  joinPolicy: JoinPolicy;
  /** After how many days with no response an open request counts as stalled. */
  stalledAfterDays: number;
};

/** The most claims a timebank may let wait on one payer. */
export const MAX_OPEN_CLAIMS_LIMIT = 1000;

export const defaultTimebankSettings: TimebankSettings = {
  defaultMinBalanceMinutes: -1200,
  defaultMaxBalanceMinutes: 6000,
  confirmation: 'counterparty',
  autoConfirmAfterHours: 72,
  // Claims expire unconfirmed by default: posting them would let a member drain a dormant one.
  autoConfirmMemberClaims: false,
  maxOpenClaims: 5,
  // Nobody joins a timebank uninvited until its coordinators open it.
  joinPolicy: 'closed',
  stalledAfterDays: 14,
};

/** The longest a request may wait for a response before it counts as stalled: a year. */
export const MAX_STALLED_AFTER_DAYS = 365;

/** Applies a partial change to settings and checks the result as a whole. */
export function mergeSettings(
  current: TimebankSettings,
  change: Partial<TimebankSettings> | undefined,
): TimebankSettings {
  const merged = { ...current, ...withoutUndefined(change ?? {}) };
  if (merged.defaultMinBalanceMinutes > 0) {
    throw new Rejection('invalid_settings', 'defaultMinBalanceMinutes must be 0 or below.', {
      field: 'settings.defaultMinBalanceMinutes',
    });
  }
  if (merged.defaultMaxBalanceMinutes < 0) {
    throw new Rejection('invalid_settings', 'defaultMaxBalanceMinutes must be 0 or above.', {
      field: 'settings.defaultMaxBalanceMinutes',
    });
  }
  if (!Number.isInteger(merged.maxOpenClaims) || merged.maxOpenClaims < 0 || merged.maxOpenClaims > MAX_OPEN_CLAIMS_LIMIT) {
    throw new Rejection('invalid_settings', `maxOpenClaims must be a whole number from 0 to ${MAX_OPEN_CLAIMS_LIMIT}.`, {
      field: 'settings.maxOpenClaims',
    });
  }
  if (!Number.isInteger(merged.stalledAfterDays) || merged.stalledAfterDays < 1 || merged.stalledAfterDays > MAX_STALLED_AFTER_DAYS) {
    throw new Rejection('invalid_settings', `stalledAfterDays must be a whole number from 1 to ${MAX_STALLED_AFTER_DAYS}.`, {
      field: 'settings.stalledAfterDays',
    });
  }
  return merged;
}

/** A URL-friendly name: lower-case ASCII letters, digits and single hyphens. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/g, '');
  return slug === '' ? 'timebank' : slug;
}
