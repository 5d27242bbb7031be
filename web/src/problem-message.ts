import type { ApiError } from './api.js';
import { duration } from './format.js';
import { locale, t } from './i18n.js';
import { catalogues, type MessageId } from './messages/index.js';

/*
 * A failure in the member's language. The API's `detail` is English and names the specifics,
 * so English readers get it as it is; everyone else gets the catalogue's message for the
 * problem's `code` (web/src/messages/problems.ts), or the detail when the code has none.
 * Failures the pages raise themselves (plain Errors) are written with t() already.
 */

/** The values a problem's message may use, from the problem's own fields. */
function valuesOf(error: ApiError): Record<string, string | number> {
  const available = error.problem.availableMinutes;
  const state = error.problem.transferStatus;
  return {
    status: error.status,
    available: typeof available === 'number' ? duration(available) : 'none',
    state: typeof state === 'string' ? state : 'other',
  };
}

const isApiError = (error: unknown): error is ApiError => error instanceof Error && typeof (error as Partial<ApiError>).code === 'string' && typeof (error as Partial<ApiError>).status === 'number';

/** The translated message for the problem's code, if the catalogue has one. */
function translated(error: ApiError): string | undefined {
  const id = `problems.${error.code}`;
  if (!(id in catalogues.en)) return undefined;
  return t(id as MessageId, { ...valuesOf(error) });
}

/** What to show for a failure: see the comment above. */
export function problemMessage(error: unknown): string {
  if (!(error instanceof Error)) return t('common.somethingWrong');
  if (!isApiError(error)) return error.message || t('common.somethingWrong');
  if (locale() === 'en' && error.message) return error.message;
  return translated(error) ?? (error.message || t('common.somethingWrong'));
}

/**
 * What the API said about one field, in the member's language where it can be: a rejection
 * that names a field (a wrong current password, say) carries its detail there, and is
 * translated like the detail; the per-field messages of validation_failed stay the API's own.
 */
export function fieldProblem(error: unknown, message: string): string {
  if (isApiError(error) && error.code !== 'validation_failed' && message === error.message) return problemMessage(error);
  return message;
}
