import { ApiError } from './api.js';
import { fieldProblem, problemMessage } from './problem-message.js';

/*
 * Forms show the service's own words, in the member's language where a translation exists
 * (problem-message.ts): the failure above the form, and what it said about each field beside
 * that field, linked to the input for screen readers (aria-describedby).
 */

/** The message the service gave for `field`, if the failure named it. */
export function fieldMessage(failure: unknown, field: string): string | undefined {
  const message = failure instanceof ApiError ? failure.fields[field] : undefined;
  return message === undefined ? undefined : fieldProblem(failure, message);
}

/** The id of a field's message element, for the input's aria-describedby. */
export const messageId = (field: string) => `${field.replace(/[^A-Za-z0-9_-]/g, '-')}-message`;

/** The service's message about one field, or nothing. */
export function FieldMessage({ failure, field }: { failure: unknown; field: string }) {
  const message = fieldMessage(failure, field);
  if (!message) return null;
  return (
    <p id={messageId(field)} class="error field-error" data-field={field}>
      {message}
    </p>
  );
}

/** The failure in words, above a form; nothing when there is none. */
export function FailureMessage({ failure }: { failure: unknown }) {
  if (!failure) return null;
  return (
    <p class="error" role="alert">
      {problemMessage(failure)}
    </p>
  );
}

export { problemMessage };
