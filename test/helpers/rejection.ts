import { Rejection } from '../../src/domain/errors.js';

/** The code of the rejection an action throws, or `passed` when it throws none; anything else is rethrown. */
export function codeOf(action: () => unknown, passed = 'allowed'): string {
  try {
    action();
    return passed;
  } catch (error) {
    if (error instanceof Rejection) return error.code;
    throw error;
  }
}
