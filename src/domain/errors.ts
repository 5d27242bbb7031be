/**
 * Rejections the domain can decide on. Each code maps to one problem+json response in
 * src/http/errors.ts; the code itself is part of the API contract and never changes meaning.
 */
export type RejectionCode =
  | 'validation_failed'
  | 'not_found'
  | 'forbidden'
  | 'insufficient_scope'
  | 'email_taken'
  | 'external_id_taken'
  | 'slug_taken'
  | 'category_exists'
  | 'invalid_parent_category'
  | 'invalid_settings'
  | 'invalid_request'
  | 'invalid_grant'
  | 'invalid_client'
  | 'invalid_scope'
  | 'unsupported_grant_type'
  | 'unsupported_token_type'
  | 'token_revoked'
  | 'setup_token_invalid'
  | 'setup_done'
  | 'current_password_wrong'
  | 'member_inactive'
  | 'same_account'
  | 'account_inactive'
  | 'insufficient_balance'
  | 'limit_exceeded'
  | 'limit_breaks_balance'
  | 'transfer_refused'
  | 'too_many_open_claims'
  | 'link_exists'
  | 'link_not_proposed'
  | 'link_not_active'
  | 'link_limit_reached'
  | 'signature_invalid'
  | 'timestamp_out_of_range'
  | 'nonce_replayed'
  | 'peer_unreachable'
  | 'peer_refused'
  | 'transfer_not_pending'
  | 'already_reversed'
  | 'not_reversible'
  | 'idempotency_key_reused'
  | 'idempotency_key_in_use'
  | 'unknown_category'
  | 'precondition_failed'
  | 'invalid_stage_transition'
  | 'invalid_agreed_with'
  | 'import_invalid'
  | 'joining_closed'
  | 'application_exists'
  | 'application_not_open';

export class Rejection extends Error {
  override name = 'Rejection';

  constructor(
    readonly code: RejectionCode,
    readonly detail: string,
    /** Extra members for the problem body, e.g. the field a rejection is about. */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

/** The same Idempotency-Key sent with another request (route or body). */
export function keyReused(): Rejection {
  return new Rejection('idempotency_key_reused', 'This Idempotency-Key was used with a different request; use a new key for a new request.');
}

/** The first request with this Idempotency-Key has not stored its answer yet. */
export function keyInUse(): Rejection {
  return new Rejection('idempotency_key_in_use', 'A request with this Idempotency-Key is still being processed; retry shortly.');
}

export function notFound(what: string): Rejection {
  return new Rejection('not_found', `${what} was not found.`);
}

/** Asserts an invariant the code relies on; a failure is a bug (500, logged), not a rejection. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) {
    throw new Error(`Assertion failed: ${message}`);
  }
}

/**
 * A field refused by a check the request schema cannot express: the same validation_failed
 * problem, naming the field, as schema validation gives.
 */
export function invalidField(location: 'body' | 'query' | 'header' | 'path', field: string, message: string): Rejection {
  return new Rejection('validation_failed', `Invalid ${location}: ${field}.`, { errors: [{ field, location, message }] });
}
