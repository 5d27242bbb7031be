import type { TimebankSettings } from '../../domain/timebank.js';

/** The stored fields a timebank's answer is made of. */
export type TimebankRecord = TimebankSettings & {
  id: string;
  name: string;
  slug: string;
  commonsAccountId: string;
  createdAt: Date;
};

export type Timebank = {
  id: string;
  name: string;
  slug: string;
  commonsAccountId: string;
  settings: TimebankSettings;
  createdAt: string;
};

/** The settings alone, as the ledger's rules read them and the API shows them. */
export function settingsOf(row: TimebankSettings): TimebankSettings {
  return {
    defaultMinBalanceMinutes: row.defaultMinBalanceMinutes,
    defaultMaxBalanceMinutes: row.defaultMaxBalanceMinutes,
    confirmation: row.confirmation,
    autoConfirmAfterHours: row.autoConfirmAfterHours,
    autoConfirmMemberClaims: row.autoConfirmMemberClaims,
    maxOpenClaims: row.maxOpenClaims,
    joinPolicy: row.joinPolicy,
    stalledAfterDays: row.stalledAfterDays,
  };
}

export function presentTimebank(row: TimebankRecord): Timebank {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    commonsAccountId: row.commonsAccountId,
    settings: settingsOf(row),
    createdAt: row.createdAt.toISOString(),
  };
}
