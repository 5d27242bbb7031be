import type { RejectionCode } from '../domain/errors.js';

/*
 * Every `code` a problem+json answer can carry, with its status, title and meaning: the one
 * list the error handler answers from and the contract's enum is generated from, so that a
 * code cannot reach a client without being in the contract.
 */

type Entry = { status: number; title: string; meaning: string };

/** Codes the domain decides (Rejection). */
export const rejectionCodes: Record<RejectionCode, Entry> = {
  validation_failed: { status: 400, title: 'Validation failed', meaning: 'A field is missing, unknown or invalid; `errors` names each one' },
  not_found: { status: 404, title: 'Not found', meaning: 'No such resource, or not visible to this caller (other timebanks\' ids included)' },
  forbidden: { status: 403, title: 'Forbidden', meaning: 'The caller\'s role does not allow this' },
  insufficient_scope: { status: 403, title: 'Insufficient scope', meaning: 'The partner client lacks `requiredScope`' },
  email_taken: { status: 409, title: 'Email already registered', meaning: 'A member of this timebank already has that email' },
  external_id_taken: { status: 409, title: 'External id already used', meaning: 'Another transfer (or member) of this timebank, or of this batch, already has that externalId; `field` names it, and nothing was written' },
  slug_taken: { status: 409, title: 'Slug already taken', meaning: 'Another timebank has that slug' },
  category_exists: { status: 409, title: 'Category already exists', meaning: 'A category with that name already exists there' },
  invalid_parent_category: { status: 422, title: 'Invalid parent category', meaning: 'The parent category does not exist, or is not top-level (two levels only)' },
  invalid_settings: { status: 422, title: 'Invalid settings', meaning: 'The settings contradict each other; `field` names the one at fault' },
  invalid_request: { status: 400, title: 'Invalid request', meaning: 'The token request lacks a parameter its grant needs (RFC 6749)' },
  invalid_grant: { status: 400, title: 'Invalid grant', meaning: 'Wrong credentials, or a refresh token that is invalid, expired, revoked or reused' },
  invalid_client: { status: 401, title: 'Invalid client', meaning: 'Unknown client, wrong secret, or a revoked client' },
  invalid_scope: { status: 400, title: 'Invalid scope', meaning: 'The client asked for a scope it was not granted' },
  unsupported_grant_type: { status: 400, title: 'Unsupported grant type', meaning: 'grant_type is not password, refresh_token or client_credentials' },
  unsupported_token_type: { status: 400, title: 'Unsupported token type', meaning: 'A partner client\'s access token cannot be revoked alone: revoke the client' },
  setup_token_invalid: { status: 401, title: 'Setup link invalid', meaning: 'The first-run setup token is wrong: use the link the service printed at startup' },
  setup_done: { status: 410, title: 'Setup done', meaning: 'The first-run setup has been done already (or a timebank exists): log in instead' },
  token_revoked: { status: 401, title: 'Token revoked', meaning: 'The session ended, the password changed or the member was suspended: log in again' },
  current_password_wrong: { status: 403, title: 'Current password wrong', meaning: 'The current password given was wrong; the session has ended' },
  member_inactive: { status: 403, title: 'Member not active', meaning: 'The member is suspended or has left, and cannot do this' },
  same_account: { status: 422, title: 'Same account', meaning: 'The payer and the payee are the same account' },
  account_inactive: { status: 422, title: 'Account holder not active', meaning: 'The payer or payee is suspended or has left' },
  insufficient_balance: { status: 422, title: 'Insufficient balance', meaning: 'The payer would go below its floor; `availableMinutes` says how much it can spend' },
  limit_exceeded: { status: 422, title: 'Balance limit exceeded', meaning: 'The payee would go above its cap' },
  limit_breaks_balance: { status: 422, title: 'Limit breaks the balance', meaning: 'A tighter floor or cap the account\'s balance, with what its pending transfers hold, already breaks; `field` names the limit, and `detail` the tightest value allowed now' },
  transfer_refused: { status: 422, title: 'Transfer refused', meaning: 'The other account refuses the transfer; a member is not told why' },
  too_many_open_claims: { status: 422, title: 'Too many open claims', meaning: 'maxOpenClaims claims already wait on this payer' },
  link_exists: { status: 409, title: 'Link exists', meaning: 'This timebank already has a link with that timebank (proposed, active or suspended)' },
  link_not_proposed: { status: 409, title: 'Link not proposed', meaning: 'Only a proposed link can be accepted; this one is active or suspended already' },
  link_not_active: { status: 422, title: 'Link not active', meaning: 'The link is proposed or suspended, on this side or the peer\'s: no hours cross it now' },
  link_limit_reached: { status: 422, title: 'Link limit reached', meaning: 'The transfer would take the link past what one timebank may owe the other; `availableMinutes` says how much can still cross that way' },
  signature_invalid: { status: 401, title: 'Signature invalid', meaning: 'A federation request without a valid signature of the sending deployment over this very request (method, path, body and sender)' },
  timestamp_out_of_range: { status: 400, title: 'Timestamp out of range', meaning: 'A federation request signed more than 5 minutes away from this deployment\'s clock' },
  nonce_replayed: { status: 409, title: 'Request replayed', meaning: 'A federation request whose nonce was seen in the last 10 minutes: a replay' },
  peer_unreachable: { status: 502, title: 'Peer unreachable', meaning: 'The linked deployment did not answer in time, or not as the federation protocol says; nothing was written' },
  peer_refused: { status: 422, title: 'Peer refused', meaning: 'The linked deployment refused the request; `peerProblem` has its status, code and detail. Nothing was posted (a transfer refused there stays rejected here)' },
  transfer_not_pending: { status: 409, title: 'Transfer not pending', meaning: 'The transfer was already confirmed, rejected or expired; `transferStatus` says which' },
  already_reversed: { status: 409, title: 'Transfer already reversed', meaning: 'A transfer is reversed at most once; `reversedByTransferId` names the reversal' },
  not_reversible: { status: 422, title: 'Transfer not reversible', meaning: 'Only a posted transfer that is not itself a reversal can be reversed' },
  idempotency_key_reused: { status: 409, title: 'Idempotency key reused', meaning: 'This Idempotency-Key was used with a different request' },
  idempotency_key_in_use: { status: 409, title: 'Idempotency key in use', meaning: 'A request with this Idempotency-Key is still running: retry shortly' },
  invalid_stage_transition: { status: 409, title: 'Invalid stage transition', meaning: 'The request cannot move from its stage to the one asked for (open -> agreed -> met | unmet | withdrawn; met is final); `stage` says where it is' },
  invalid_agreed_with: { status: 422, title: 'Invalid agreedWith', meaning: 'agreedWith must name another member of this timebank than the request\'s own' },
  unknown_category: { status: 422, title: 'Unknown category', meaning: 'The category does not exist in this timebank' },
  import_invalid: { status: 422, title: 'Import invalid', meaning: 'Rows of the import files have problems (`problems` lists each by file, line and field); nothing was imported' },
  precondition_failed: { status: 412, title: 'Precondition failed', meaning: 'If-Match names none of the resource\'s current ETags: someone changed it since it was read; read it again' },
  joining_closed: { status: 403, title: 'Joining closed', meaning: 'The timebank\'s joinPolicy is closed: its coordinators add members, nobody applies' },
  application_exists: { status: 409, title: 'Application already open', meaning: 'An application with this email waits for the coordinators already' },
  application_not_open: { status: 409, title: 'Application not open', meaning: 'The application was approved or declined already: a decision is made once' },
};

/** Codes the HTTP layer answers with for what happens before or around a use case. */
export const frameworkCodes = {
  bad_request: { status: 400, title: 'Bad request', meaning: 'The request is malformed in a way no other code describes' },
  bad_url: { status: 400, title: 'Bad URL', meaning: 'The URL could not be decoded' },
  malformed_body: { status: 400, title: 'Malformed body', meaning: 'The body is not valid JSON (or not valid UTF-8)' },
  unauthorized: { status: 401, title: 'Unauthorized', meaning: 'No access token, or one that is invalid or expired: refresh it or log in' },
  payload_too_large: { status: 413, title: 'Payload too large', meaning: 'The body exceeds 1 MiB (16 KiB at the token endpoint, 20 MiB for an import)' },
  uri_too_long: { status: 414, title: 'URI too long', meaning: 'A path segment is too long' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type', meaning: 'The body is not application/json (or a form, at the token endpoint)' },
  rate_limited: { status: 429, title: 'Too many requests', meaning: 'Too many login attempts (or applications to join from one address): wait for Retry-After seconds' },
  internal_error: { status: 500, title: 'Internal server error', meaning: 'A bug: quote the request id when reporting it' },
  service_unavailable: { status: 503, title: 'Service unavailable', meaning: 'The database is busy or unreachable: retry after Retry-After seconds, with the same Idempotency-Key' },
  not_ready: { status: 503, title: 'Not ready', meaning: 'The database does not answer (readiness probe)' },
  web_client_not_built: { status: 503, title: 'Web client not built', meaning: 'Run npm run build' },
} as const satisfies Record<string, Entry>;

export type ProblemCode = RejectionCode | keyof typeof frameworkCodes;

export const problemCatalogue: Record<ProblemCode, Entry> = { ...rejectionCodes, ...frameworkCodes };

export const problemCodes = Object.keys(problemCatalogue) as [ProblemCode, ...ProblemCode[]];
