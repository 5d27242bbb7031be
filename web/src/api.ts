import { problemMessage } from './problem-message.js';

/*
 * The public API, called with the user's token like any partner app. Errors arrive as
 * problem+json; their `detail` is written for people (in English), and the pages show it, or
 * the message for its `code` in the member's language (problem-message.ts).
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    /** What the service said about each field it named (`errors`, or a rejection's `field`), for forms to show beside it. */
    readonly fields: Readonly<Record<string, string>> = {},
    /** The whole problem+json body, for the fields a code's message uses (`availableMinutes`, ...). */
    readonly problem: Readonly<Record<string, unknown>> = {},
  ) {
    super(detail);
  }
}

/** What a failed call means to the user: an ended session (401) goes back to the login, anything else is shown in words. */
export function onFailure(onExpired: () => void, show: (message: string) => void): (caught: unknown) => void {
  return (caught) => {
    if (caught instanceof ApiError && caught.status === 401) onExpired();
    else show(problemMessage(caught));
  };
}

export type Session = {
  token: string;
  /** Single-use: each refresh returns its successor, and presenting a used one ends the session. */
  refreshToken: string;
  timebankId: string;
  accountId: string | null;
  memberId: string;
  role: string;
  displayName: string;
};

const SESSION_KEY = 'timebank.session';

export function loadSession(): Session | null {
  try {
    const stored = sessionStorage.getItem(SESSION_KEY);
    return stored ? (JSON.parse(stored) as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION_KEY);
}

async function failure(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as {
      detail?: string;
      code?: string;
      error_description?: string;
      error?: string;
      field?: string;
      errors?: Array<{ field: string; message: string }>;
    };
    const detail = body.detail ?? body.error_description ?? `The service answered ${response.status}.`;
    const fields: Record<string, string> = {};
    for (const entry of body.errors ?? []) fields[entry.field] ??= entry.message;
    if (body.field) fields[body.field] ??= detail;
    return new ApiError(response.status, body.code ?? body.error ?? 'error', detail, fields, body);
  } catch {
    return new ApiError(response.status, 'error', `The service answered ${response.status}.`);
  }
}

export type RequestOptions = { method?: string; body?: unknown; idempotencyKey?: string; accept?: string };

type TokenAnswer = { access_token: string; refresh_token: string };

let refreshing: Promise<string | null> | null = null;

/**
 * A new access token from the saved refresh token, or null when the session has ended. One
 * refresh at a time: calls that find the token expired together share it, since a refresh token
 * presented twice ends the session.
 */
export function refreshAccessToken(): Promise<string | null> {
  refreshing ??= (async () => {
    const saved = loadSession();
    if (!saved) return null;
    try {
      const response = await fetch('/v1/auth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: saved.refreshToken }),
      });
      if (!response.ok) return null;
      const answer = (await response.json()) as TokenAnswer;
      saveSession({ ...saved, token: answer.access_token, refreshToken: answer.refresh_token });
      return answer.access_token;
    } catch {
      return null;
    }
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

function send(token: string | null, path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  return fetch(path, { method: options.method ?? 'GET', headers, body: options.body === undefined ? null : JSON.stringify(options.body) });
}

/**
 * A call with the session's current access token. An expired one is refreshed once and the call
 * sent again; a revoked one (or a failed refresh) ends the session here, and the pages go back to
 * the login.
 */
export async function call(token: string | null, path: string, options: RequestOptions = {}): Promise<Response> {
  // Pages keep the token they were given; the saved session holds the newest one.
  const current = token ? (loadSession()?.token ?? token) : null;
  let response: Response;
  try {
    response = await send(current, path, options);
    if (response.status === 401 && current) {
      const code = ((await response.clone().json().catch(() => ({}))) as { code?: string }).code;
      const renewed = code === 'token_revoked' ? null : await refreshAccessToken();
      if (renewed) response = await send(renewed, path, options);
    }
  } catch {
    throw new ApiError(0, 'network', 'The service cannot be reached. Check your connection and try again.');
  }
  if (response.status === 401 && current) {
    saveSession(null);
    throw new ApiError(401, 'unauthorized', 'Your session has ended. Please log in again.');
  }
  if (!response.ok) throw await failure(response);
  return response;
}

/** Logs out: the service ends the session, so that its tokens stop working everywhere. */
export async function logout(): Promise<void> {
  const saved = loadSession();
  saveSession(null);
  if (!saved) return;
  await fetch('/v1/auth/revoke', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: saved.refreshToken }),
  }).catch(() => undefined);
}

export async function json<T>(token: string | null, path: string, options: RequestOptions = {}): Promise<T> {
  return (await (await call(token, path, options)).json()) as T;
}

export async function login(email: string, password: string, timebank: string): Promise<Session> {
  const trimmed = timebank.trim();
  const isId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(trimmed);
  const grant = { grant_type: 'password', username: email, password, ...(trimmed === '' ? {} : isId ? { timebank_id: trimmed.toLowerCase() } : { timebank_slug: trimmed }) };
  const token = await json<TokenAnswer>(null, '/v1/auth/token', { method: 'POST', body: grant });
  return sessionFromTokens(token.access_token, token.refresh_token);
}

/**
 * The session a person's fresh tokens open: a member of one timebank, or a platform admin (who
 * belongs to none: timebankId is empty, and the client shows the admin's page only).
 */
export async function sessionFromTokens(accessToken: string, refreshToken: string): Promise<Session> {
  const me = await json<{ id: string; timebankId: string | null; accountId: string | null; role: string; displayName: string | null; email: string | null; type: string }>(accessToken, '/v1/me');
  if (me.type === 'admin') return { token: accessToken, refreshToken, timebankId: '', accountId: null, memberId: me.id, role: 'admin', displayName: me.email ?? 'Platform admin' };
  if (me.type !== 'member' || !me.timebankId) throw new ApiError(403, 'forbidden', 'This page is for members and coordinators of a time bank.');
  return { token: accessToken, refreshToken, timebankId: me.timebankId, accountId: me.accountId, memberId: me.id, role: me.role, displayName: me.displayName ?? '' };
}

/** Saves a CSV answer as a file, since a plain link cannot carry the token. */
export async function downloadCsv(token: string, path: string, filename: string): Promise<void> {
  const response = await call(token, path, { accept: 'text/csv' });
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export type Page<T> = { items: T[]; nextCursor: string | null };

/** Every page of a list, up to `maxPages` of 500. */
export async function allPages<T>(token: string, path: string, maxPages = 10): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page += 1) {
    const separator = path.includes('?') ? '&' : '?';
    const found: Page<T> = await json<Page<T>>(token, `${path}${separator}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...found.items);
    cursor = found.nextCursor;
    if (!cursor) break;
  }
  return items;
}
