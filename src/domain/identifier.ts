/**
 * The one spelling of a login identifier (an email, a client id): compatibility-normalised
 * (NFKC, so that full-width and other compatibility forms of the same letters are one name),
 * trimmed and lower-cased. The account lookups and the login limits both use it, so that no
 * spelling of a name can be one account to the lookup and a fresh counter to the limiter.
 */
export function normalizeIdentifier(value: string): string {
  // NFKC first: it can turn an ideographic space into a plain one, which the trim then removes.
  return value.normalize('NFKC').trim().toLowerCase();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A lower-case UUID as the service writes ids: anything else names nothing it stores. */
export const isUuid = (value: string) => UUID.test(value);
