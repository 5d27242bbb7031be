import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.js';

/*
 * A typed client for the Timebank API: openapi-fetch over the types openapi-typescript generates
 * from openapi.yaml (`npm run client:generate`), plus the little the contract cannot say by
 * itself: who is logged in (tokens, refreshed on expiry), Idempotency-Keys on the writes that
 * move credits, and cursor paging. Everything else is the plain openapi-fetch client.
 */

export type { components, paths };
export type Problem = components['schemas']['Problem'];
export type TokenResponse = components['schemas']['TokenResponse'];

type KeyHeader = { 'idempotency-key': string };

/** The operations whose contract requires an Idempotency-Key: the client sends one for them. */
type KeyedPath = {
  [P in keyof paths]: paths[P] extends { post: { parameters: { header: KeyHeader } } } ? P : never;
}[keyof paths];

/** An operation whose key is required, with the key made optional: the middleware fills it in. */
type KeyOptional<Operation> = Operation extends { parameters: { header: KeyHeader } }
  ? Omit<Operation, 'parameters'> & {
      parameters: Omit<Operation['parameters'], 'header'> & { header?: Partial<Operation['parameters']['header']> };
    }
  : Operation;

/** The contract's paths as this client takes them: Idempotency-Key optional where it adds one. */
export type TimebankPaths = { [P in keyof paths]: { [M in keyof paths[P]]: KeyOptional<paths[P][M]> } };

/*
 * The media types `data` and `error` are typed from. openapi-fetch parses JSON unless told
 * otherwise, so a route that also answers CSV is typed by its JSON answer; ask for CSV with
 * `headers: { accept: 'text/csv' }, parseAs: 'text'` and `data` is a string.
 */
type Media = 'application/json' | 'application/problem+json' | 'text/plain';

export type Credentials =
  | { username: string; password: string; timebankId?: string; timebankSlug?: string }
  | { clientId: string; clientSecret: string; scope?: string };

export type Tokens = { accessToken: string; refreshToken: string | undefined };

export type TimebankClient = Client<TimebankPaths, Media> & {
  /** Logs in (password or client_credentials grant) and sends the token with every later call. */
  login(credentials: Credentials): Promise<TokenResponse>;
  /** Revokes the session on the server (RFC 7009) and forgets the tokens. */
  logout(): Promise<void>;
  /** The tokens held now (they change at each refresh), to keep a session across restarts. */
  tokens(): Tokens | undefined;
};

/** A problem+json answer (or another failed one) as an exception. */
export class TimebankApiError extends Error {
  override name = 'TimebankApiError';
  readonly status: number;
  /** The problem body; undefined when the answer was not one (a proxy's 502 page, say). */
  readonly problem: Problem | undefined;

  constructor(response: Response, body: unknown) {
    const problem = isProblem(body) ? body : undefined;
    super(problem ? `${response.status} ${problem.code}: ${problem.detail}` : `HTTP ${response.status}`);
    this.status = response.status;
    this.problem = problem;
  }

  get code(): Problem['code'] | undefined {
    return this.problem?.code;
  }
}

/*
 * The shape of every problem. The code itself is trusted to be one the contract names, as
 * openapi-fetch trusts every answer: nothing is validated against the schema at run time.
 */
function isProblem(value: unknown): value is Problem {
  return (
    typeof value === 'object' && value !== null &&
    'type' in value && typeof value.type === 'string' &&
    'title' in value && typeof value.title === 'string' &&
    'status' in value && typeof value.status === 'number' &&
    'detail' in value && typeof value.detail === 'string' &&
    'code' in value && typeof value.code === 'string'
  );
}

/** The data of a successful openapi-fetch result; a TimebankApiError otherwise. */
export function unwrap<Data>(result: { data?: Data; error?: unknown; response: Response }): Data {
  if (result.response.ok && result.data !== undefined) return result.data;
  throw new TimebankApiError(result.response, result.error);
}

export type PageQuery = { limit?: number; cursor?: string };
export type PageResult<Item> = {
  data?: { items: readonly Item[]; nextCursor: string | null };
  error?: unknown;
  response: Response;
};

/**
 * Every item of a cursor-paginated list, page after page, fetched as they are read.
 * `fetchPage` makes one call and must pass the query it is given on:
 *   paginate((query) => client.GET('/v1/timebanks/{timebankId}/members',
 *     { params: { path: { timebankId }, query } }), { limit: 100 })
 * A failed page throws a TimebankApiError.
 */
export async function* paginate<Item>(
  fetchPage: (query: PageQuery) => Promise<PageResult<Item>>,
  options: { limit?: number } = {},
): AsyncGenerator<Item, void, undefined> {
  const limit = options.limit === undefined ? {} : { limit: options.limit };
  let cursor: string | undefined;
  do {
    const page = unwrap(await fetchPage(cursor === undefined ? limit : { ...limit, cursor }));
    yield* page.items;
    // The same cursor again means fetchPage dropped the query: fail rather than loop forever.
    if (page.nextCursor !== null && page.nextCursor === cursor) {
      throw new Error('paginate: the page function must pass its query (cursor) to the request');
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

const TOKEN_PATH = '/v1/auth/token';

type Grant = components['schemas']['PasswordGrant'] | components['schemas']['ClientCredentialsGrant'];

function grantFor(credentials: Credentials): Grant {
  if ('username' in credentials) {
    const { username, password, timebankId, timebankSlug } = credentials;
    return {
      grant_type: 'password',
      username,
      password,
      ...(timebankId === undefined ? {} : { timebank_id: timebankId }),
      ...(timebankSlug === undefined ? {} : { timebank_slug: timebankSlug }),
    };
  }
  const { clientId, clientSecret, scope } = credentials;
  return { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, ...(scope === undefined ? {} : { scope }) };
}

// Every operation that requires a key, checked against the contract: a Record over KeyedPath
// fails to compile when one is missing or no longer requires a key.
const NEEDS_KEY: Record<KeyedPath, true> = {
  '/v1/timebanks/{timebankId}/transfers': true,
  '/v1/timebanks/{timebankId}/transfers/batch': true,
  '/v1/timebanks/{timebankId}/transfers/{transferId}/confirm': true,
  '/v1/timebanks/{timebankId}/transfers/{transferId}/reject': true,
  '/v1/timebanks/{timebankId}/transfers/{transferId}/reverse': true,
};

// The service answers `unauthorized` for a token that is expired, malformed or badly signed
// (src/http/errors.ts); `token_revoked` means the session itself ended, and a refresh token of
// that session is refused too, so it is not worth a refresh. Typed by the contract's codes: a
// renamed code fails to compile.
const REFRESH_ON: ReadonlySet<Problem['code']> = new Set(['unauthorized']);

type Session = {
  accessToken: string;
  refreshToken: string | undefined;
  /** A client's credentials: it gets no refresh token, so it logs in again instead. */
  clientGrant: components['schemas']['ClientCredentialsGrant'] | undefined;
};

export function createTimebankClient(options: {
  baseUrl: string;
  fetch?: (request: Request) => Promise<Response>;
  /** A session kept from before (`tokens()`), instead of a login. */
  tokens?: Tokens;
}): TimebankClient {
  const { tokens, ...clientOptions } = options;
  const api = createClient<TimebankPaths, Media>(clientOptions);
  let session: Session | undefined = tokens && { ...tokens, clientGrant: undefined };
  let refreshing: Promise<string | undefined> | undefined;

  const keep = (answer: TokenResponse, clientGrant: Session['clientGrant']) => {
    session = { accessToken: answer.access_token, refreshToken: answer.refresh_token, clientGrant };
  };

  // A fresh UUID per call: a retry of the same logical write must reuse the key, so a caller
  // that retries (after a timeout, say) passes its own `params.header['idempotency-key']`.
  const idempotency: Middleware = {
    onRequest({ request, schemaPath }) {
      if (request.method === 'POST' && Object.hasOwn(NEEDS_KEY, schemaPath) && !request.headers.has('idempotency-key')) {
        request.headers.set('idempotency-key', crypto.randomUUID());
      }
    },
  };

  // Refresh tokens are single-use: concurrent 401s share one exchange, since a second exchange
  // of the same refresh token is taken as theft and ends the session.
  const refresh = (): Promise<string | undefined> => {
    refreshing ??= exchange().finally(() => (refreshing = undefined));
    return refreshing;
  };
  const exchange = async (): Promise<string | undefined> => {
    const current = session;
    const body: components['schemas']['TokenRequest'] | undefined = current?.refreshToken !== undefined
      ? { grant_type: 'refresh_token', refresh_token: current.refreshToken }
      : current?.clientGrant;
    if (current === undefined || body === undefined) return undefined;
    const { data, response } = await api.POST(TOKEN_PATH, { body });
    if (data === undefined) {
      // Refused (400/401): the session is over. Anything else (503, 429): keep it for later.
      if (response.status === 400 || response.status === 401) session = undefined;
      return undefined;
    }
    keep(data, current.clientGrant);
    return data.access_token;
  };

  // The request as it was before it was sent, to send again after a refresh (a body is read
  // once), with the token it carried.
  const sent = new WeakMap<Request, { retry: Request; token: string }>();

  const authentication: Middleware = {
    onRequest({ request, schemaPath }) {
      // The caller's own Authorization (the metrics token, HTTP Basic) wins.
      if (session === undefined || schemaPath === TOKEN_PATH || request.headers.has('authorization')) return;
      request.headers.set('authorization', `Bearer ${session.accessToken}`);
      sent.set(request, { retry: request.clone(), token: session.accessToken });
    },
    async onResponse({ request, response, options: merged }) {
      const attempt = sent.get(request);
      if (attempt === undefined || response.status !== 401) return;
      const code = await response.clone().json().then((body: unknown) => (isProblem(body) ? body.code : undefined), () => undefined);
      if (code === undefined || !REFRESH_ON.has(code)) return;
      // A refresh done while this request was in flight already gave a new token: use it.
      const token = session?.accessToken === attempt.token ? await refresh() : session?.accessToken;
      if (token === undefined) return; // no refresh possible: the caller gets the 401
      attempt.retry.headers.set('authorization', `Bearer ${token}`);
      return merged.fetch(attempt.retry); // once: the retry does not pass through this middleware
    },
  };

  api.use(idempotency, authentication);

  return {
    ...api,
    async login(credentials) {
      const grant = grantFor(credentials);
      const answer = unwrap(await api.POST(TOKEN_PATH, { body: grant }));
      keep(answer, grant.grant_type === 'client_credentials' ? grant : undefined);
      return answer;
    },
    async logout() {
      // A person's session ends on the server; a partner app's token cannot be revoked alone
      // (only its client can), so for one the tokens are just forgotten.
      const token = session?.refreshToken;
      session = undefined;
      if (token !== undefined) unwrap(await api.POST('/v1/auth/revoke', { body: { token } }));
    },
    tokens: () => (session ? { accessToken: session.accessToken, refreshToken: session.refreshToken } : undefined),
  };
}
