import type { MemberKind } from '../member.js';

/*
 * Import from other timebank software (docs/import.md): what the files are read into, and the
 * limits of one import. The folder's modules read the files (csv.ts, generic.ts, timeoverflow.ts)
 * and plan the history (plan.ts), free of I/O; the shell (use-cases/imports.ts) loads what the
 * rows name, asks planImport, and writes the plan in one transaction, or nothing when any row has
 * a problem.
 */

export const importFormats = ['generic', 'timeoverflow'] as const;
export type ImportFormat = (typeof importFormats)[number];
export type ImportFile = 'members' | 'transfers';

/** One row at fault: its file, its line (1 is the file's first line) and its column (null: the whole row or file). */
export type ImportProblem = { file: ImportFile; line: number; field: string | null; message: string };

/** A body above this is 413 before it is read. */
export const MAX_IMPORT_BYTES = 20 * 1024 * 1024;
export const MAX_IMPORT_MEMBERS = 50_000;
export const MAX_IMPORT_TRANSFERS = 100_000;
/** Answers list at most this many problems (problemsTruncated says when there were more). */
export const MAX_LISTED_PROBLEMS = 1_000;
/** In the generic format, this account reference names the timebank's commons account. */
export const COMMONS_REFERENCE = 'commons';

export type MemberRow = {
  line: number;
  externalId: string;
  displayName: string;
  /** Normalised, as members' emails are stored. */
  email: string;
  kind: MemberKind;
  /** When the member joined, kept as the member's createdAt; null: the import's time. */
  joinedAt: Date | null;
  phone: string | null;
};

export type AccountReference = { kind: 'commons' } | { kind: 'member'; externalId: string };

export type TransferRow = {
  line: number;
  payer: AccountReference;
  payee: AccountReference;
  minutes: number;
  postedAt: Date;
  description: string | null;
  /** TimeOverflow's post (offer or request) the transfer was for, kept in its metadata. */
  postId: string | null;
};

export type ParsedImport = { members: MemberRow[]; transfers: TransferRow[]; problems: ImportProblem[] };

export const problemAt = (file: ImportFile, line: number, field: string | null, message: string): ImportProblem => ({ file, line, field, message });
