import { z } from 'zod';

/*
 * The token endpoint's parameters (RFC 6749). The route accepts one flat body and answers a
 * missing parameter with invalid_request and an unknown grant with unsupported_grant_type, as
 * RFC 6749 requires; the contract describes the same parameters as one variant per grant, so
 * that a generated client knows which fields each grant takes.
 */

/**
 * Text that is looked up in the database, which cannot hold a NUL character: refused here
 * rather than failing the query. Other whitespace is left to the login's normalisation, which
 * trims it (and counts the attempt against the login limits).
 */
const lookup = (maxLength: number) => z.string().max(maxLength).refine((value) => !value.includes('\u0000'), { message: 'must not contain NUL characters' });

const fields = {
  username: lookup(254).describe('The person\'s email'),
  password: z.string().max(200),
  timebank_id: z.uuid().describe('Which timebank to log in to, when the email belongs to members of several'),
  timebank_slug: lookup(100).describe('The timebank\'s slug, instead of timebank_id'),
  client_id: lookup(100),
  client_secret: z.string().max(200),
  refresh_token: lookup(200).describe('Single-use: the answer carries its successor, and presenting a used one ends the session'),
  scope: z.string().max(500).describe('Space-separated scopes, fewer than the client holds (default: all of them)'),
};

/** What the route validates: every parameter optional, the grant deciding which it needs. */
export const tokenRequest = z.strictObject({
  grant_type: z.string().max(100),
  username: fields.username.optional(),
  password: fields.password.optional(),
  timebank_id: fields.timebank_id.optional(),
  timebank_slug: fields.timebank_slug.optional(),
  client_id: fields.client_id.optional(),
  client_secret: fields.client_secret.optional(),
  refresh_token: fields.refresh_token.optional(),
  scope: fields.scope.optional(),
});

const registry = z.registry<{ id: string }>();

const passwordGrant = z
  .strictObject({
    grant_type: z.literal('password'),
    username: fields.username,
    password: fields.password,
    timebank_id: fields.timebank_id.optional(),
    timebank_slug: fields.timebank_slug.optional(),
  })
  .describe('A person logs in: the answer carries a refresh_token')
  .register(registry, { id: 'PasswordGrant' });

const refreshTokenGrant = z
  .strictObject({ grant_type: z.literal('refresh_token'), refresh_token: fields.refresh_token })
  .describe('New tokens for a person\'s session')
  .register(registry, { id: 'RefreshTokenGrant' });

const clientCredentialsGrant = z
  .strictObject({
    grant_type: z.literal('client_credentials'),
    client_id: fields.client_id.optional().describe('Required unless sent as HTTP Basic credentials'),
    client_secret: fields.client_secret.optional().describe('Required unless sent as HTTP Basic credentials'),
    scope: fields.scope.optional(),
  })
  .describe('A partner app: no refresh_token; ask again when the token expires')
  .register(registry, { id: 'ClientCredentialsGrant' });

z.discriminatedUnion('grant_type', [passwordGrant, refreshTokenGrant, clientCredentialsGrant]).describe('One variant per grant_type, as JSON or application/x-www-form-urlencoded').register(registry, { id: 'TokenRequest' });

export const tokenRequestVariants = {
  registry,
  examples: {
    password: { summary: 'A person logs in', value: { grant_type: 'password', username: 'mo@example.org', password: 'mo-password-12' } },
    refresh: { summary: 'A refresh', value: { grant_type: 'refresh_token', refresh_token: '019a1f2f-4c10-7a11-9b22-0c3d4e5f6a7b.1.Yk3vQ0e8pXc1mZr7TtJxN2aF5sLwG9hUoD4iB6cE8qA' } },
    client: { summary: 'A partner app', value: { grant_type: 'client_credentials', client_id: '019a1f2e-7c80-74a9-bd5e-e6f708192a3b', client_secret: 'the-secret-shown-once' } },
  },
};

export const tokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.int().describe('Seconds until the token expires'),
    refresh_token: z
      .string()
      .optional()
      .describe('With the password and refresh_token grants: exchange it once for new tokens; reusing one ends the session'),
    scope: z.string().optional().describe('Client credentials: the scopes the token carries'),
  })
  .meta({
    id: 'TokenResponse',
    examples: [{ access_token: 'eyJhbGciOiJIUzI1NiJ9.eyJ0eXAiOiJtZW1iZXIifQ.c2lnbmF0dXJl', token_type: 'Bearer', expires_in: 900, refresh_token: '019a1f2f-4c10-7a11-9b22-0c3d4e5f6a7b.0.Yk3vQ0e8pXc1mZr7TtJxN2aF5sLwG9hUoD4iB6cE8qA' }],
  });
