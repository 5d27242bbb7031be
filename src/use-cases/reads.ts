import type { Principal } from '../domain/principal.js';
import type { Db } from '../db/client.js';
import { findAdmin } from '../db/queries/admins.js';
import { listAuditLog } from '../db/queries/audit.js';
import { listCategories } from '../db/queries/categories.js';
import { findClientForLogin, listClients } from '../db/queries/clients.js';
import { findListing, searchListings, type ListingFilters } from '../db/queries/listings.js';
import { memberAccountId } from '../db/queries/accounts.js';
import { findMember, listDirectory, listMembers } from '../db/queries/members.js';
import { findTimebank, listTimebanks } from '../db/queries/timebanks.js';
import { findTransfer, listTransfers, type TransferFilters } from '../db/queries/transfers.js';
import { getAccount, getStatement, type StatementWindow } from './accounts.js';
import { checkLedger, ledgerJournal } from './ledger-checks.js';
import { presentClient } from './present/client.js';
import { presentListing, type ListingKind } from './present/listing.js';
import { presentTimebank } from './present/timebank.js';

/*
 * The reads the route plugins make, bound to one database. Each answers in the API's shapes
 * (src/use-cases/present/), so that the HTTP layer never sees a stored row, a query builder or
 * a transaction; a page's limit is always given, the route knowing its default.
 */

type MemberFilters = Parameters<typeof listMembers>[2];
type DirectoryFilters = Parameters<typeof listDirectory>[2];
type AuditLogFilters = Parameters<typeof listAuditLog>[2];

export function readsOf(db: Db) {
  return {
    findTimebank: async (timebankId: string) => {
      const row = await findTimebank(db, timebankId);
      return row ? presentTimebank(row) : undefined;
    },
    /** All timebanks, or only those in `onlyIds` (what a non-admin may see). */
    listTimebanks: (options: { limit: number; cursor?: string | undefined; onlyIds?: string[] | undefined }) => listTimebanks(db, options),

    findAdmin: (adminId: string) => findAdmin(db, adminId),
    findMember: (timebankId: string, memberId: string) => findMember(db, timebankId, memberId),
    listMembers: (timebankId: string, filters: MemberFilters) => listMembers(db, timebankId, filters),
    listDirectory: (timebankId: string, filters: DirectoryFilters) => listDirectory(db, timebankId, filters),
    /** By id alone, as a token names a client; any timebank's. */
    findClientById: async (clientId: string) => {
      const row = await findClientForLogin(db, clientId);
      return row ? presentClient(row) : undefined;
    },
    listClients: (timebankId: string, page: { limit: number; cursor?: string | undefined }) => listClients(db, timebankId, page),
    listCategories: (timebankId: string) => listCategories(db, timebankId),
    listAuditLog: (timebankId: string, filters: AuditLogFilters) => listAuditLog(db, timebankId, filters),

    /** The account, now or at `asOf`: 404 unless the principal may see it. */
    getAccount: (principal: Principal, timebankId: string, accountId: string, asOf: Date | undefined) =>
      getAccount(db, principal, timebankId, accountId, asOf),
    /** The account's statement over a window: 404 unless the principal may see it. */
    getStatement: (principal: Principal, timebankId: string, accountId: string, window: StatementWindow) =>
      getStatement(db, principal, timebankId, accountId, window),
    memberAccountId: (timebankId: string, memberId: string) => memberAccountId(db, timebankId, memberId),
    findTransfer: async (timebankId: string, transferId: string) => (await findTransfer(db, timebankId, transferId))?.transfer,
    listTransfers: (timebankId: string, filters: TransferFilters) => listTransfers(db, timebankId, filters),
    /** The ledger's invariants and chain, in one read-only snapshot: 404 for an unknown timebank. */
    verifyLedger: (timebankId: string, now: Date) => checkLedger(db, timebankId, now),
    /** The hledger journal, in one read-only snapshot: 404 for an unknown timebank. */
    ledgerJournal: (timebankId: string) => ledgerJournal(db, timebankId),

    findListing: async (timebankId: string, kind: ListingKind, listingId: string) => {
      const row = await findListing(db, timebankId, kind, listingId);
      return row ? presentListing(row) : undefined;
    },
    /** The listings' exact locations: the route rounds them for whoever may not see them. */
    searchListings: (timebankId: string, kind: ListingKind, filters: ListingFilters, now: Date) => searchListings(db, timebankId, kind, filters, now),
  };
}

export type Reads = ReturnType<typeof readsOf>;
