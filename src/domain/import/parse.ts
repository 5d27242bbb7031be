import { readGenericMembers, readGenericTransfers } from './generic.js';
import type { ImportFormat, ImportProblem, ParsedImport } from './model.js';
import { readTimeOverflowTransfers, readTimeOverflowUsers } from './timeoverflow.js';

const readers = {
  generic: { members: readGenericMembers, transfers: readGenericTransfers },
  timeoverflow: { members: readTimeOverflowUsers, transfers: readTimeOverflowTransfers },
} as const satisfies Record<ImportFormat, Record<'members' | 'transfers', (text: string, problems: ImportProblem[]) => unknown[]>>;

/** Reads both files in their format: the rows that read well, and a problem for each that did not. */
export function parseImport(format: ImportFormat, files: { members?: string | undefined; transfers?: string | undefined }): ParsedImport {
  const problems: ImportProblem[] = [];
  const read = readers[format];
  const members = files.members === undefined ? [] : read.members(files.members, problems);
  const transfers = files.transfers === undefined ? [] : read.transfers(files.transfers, problems);
  return { members, transfers, problems };
}
