/*
 * Import from other timebank software (docs/import.md): what the rest of the service uses of the
 * modules in ./import, which read the files (csv.ts with csv-parse, cells.ts, rows.ts, generic.ts,
 * timeoverflow.ts) and plan the history (plan.ts), free of I/O.
 */

export {
  COMMONS_REFERENCE,
  importFormats,
  MAX_IMPORT_BYTES,
  MAX_IMPORT_MEMBERS,
  MAX_IMPORT_TRANSFERS,
  MAX_LISTED_PROBLEMS,
  type AccountReference,
  type ImportFile,
  type ImportFormat,
  type ImportProblem,
  type MemberRow,
  type ParsedImport,
  type TransferRow,
} from './import/model.js';
export { parseImport } from './import/parse.js';
export { planImport, referencedExternalIds, type AccountPreview, type ExistingAccount, type ImportPlan, type ImportState } from './import/plan.js';
