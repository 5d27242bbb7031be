import { createPrivateKey, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * The environment, parsed once at startup. This module is the only reader of process.env:
 * everything else receives a Config.
 */
const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const integerText = (fallback: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .transform((value) => value ?? fallback);

/** A comma-separated list of host names or addresses, lower-case, IPv6 without brackets. */
function hostList(value: string | undefined): string[] {
  return value ? value.split(',').map((host) => host.trim().toLowerCase().replace(/^\[|\]$/g, '')).filter(Boolean) : [];
}

function isEd25519PrivateKey(pem: string): boolean {
  try {
    return createPrivateKey({ key: pem, format: 'pem' }).asymmetricKeyType === 'ed25519';
  } catch {
    return false;
  }
}

const environmentSchema = z
  .object({
    PORT: integerText(3000, 0, 65535),
    HOST: optionalText.transform((value) => value ?? '127.0.0.1'),
    DATABASE_URL: optionalText.pipe(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
        .optional(),
    ),
    DATABASE_POOL_SIZE: integerText(10, 1, 200),
    DATABASE_CONNECTION_LIFETIME_SECONDS: integerText(30, 0, 86_400),
    DATA_DIR: optionalText.transform((value) => value ?? './data'),
    JWT_SECRET: optionalText.pipe(
      z.string().min(32, 'must be at least 32 characters').optional(),
    ),
    TOKEN_TTL_SECONDS: integerText(900, 60, 86_400),
    SESSION_TTL_SECONDS: integerText(14 * 86_400, 300, 365 * 86_400),
    ADMIN_EMAIL: optionalText.pipe(z.email('must be an email address').optional()),
    ADMIN_PASSWORD: optionalText.pipe(
      z.string().min(12, 'must be at least 12 characters').max(200).optional(),
    ),
    LOG_LEVEL: optionalText
      .transform((value) => value ?? 'info')
      .pipe(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
    LOGIN_RATE_LIMIT_MAX: integerText(10, 1, 100_000),
    LOGIN_RATE_LIMIT_PER_IDENTIFIER_MAX: integerText(30, 1, 100_000),
    LOGIN_RATE_LIMIT_PER_ADDRESS_MAX: integerText(60, 1, 100_000),
    LOGIN_RATE_LIMIT_WINDOW_SECONDS: integerText(60, 1, 86_400),
    REDIS_URL: optionalText.pipe(
      z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
    ),
    REDIS_KEY_PREFIX: optionalText.transform((value) => value ?? 'timebank:').pipe(z.string().max(100)),
    TRANSFER_GROUP_MAX: integerText(100, 1, 1000),
    // At most a second: a posted transfer is sealed within about this long after its commit.
    SEAL_INTERVAL_MS: integerText(200, 10, 1000),
    // Long enough that it cannot be guessed through the endpoint it guards.
    METRICS_TOKEN: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').max(500).optional()),
    CHECK_RESPONSES: optionalText
      .transform((value) => value ?? 'false')
      .pipe(z.enum(['true', 'false'], 'must be true or false'))
      .transform((value) => value === 'true'),
    // Hosts webhooks may reach although private or loopback (and over http): for local work and tests.
    WEBHOOK_ALLOW_HOSTS: optionalText.transform(hostList),
    // Seconds between a webhook delivery's failed attempts; the last repeats until the endpoint is disabled.
    WEBHOOK_RETRY_SCHEDULE: optionalText.pipe(
      z
        .string()
        .regex(/^\d+(\.\d+)?(,\d+(\.\d+)?)*$/, 'must be a comma-separated list of seconds')
        .transform((value) => value.split(',').map(Number))
        .optional(),
    ),
    // Email (optional): claim-waiting emails and the weekly digest go out through this server.
    SMTP_URL: optionalText.pipe(z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional()),
    MAIL_FROM: optionalText.transform((value) => value ?? 'Timebank <timebank@localhost>').pipe(z.string().max(300)),
    // Where people reach this service: the links in emails start with it.
    PUBLIC_URL: optionalText.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()),
    // This deployment's Ed25519 key for federation requests, PKCS#8 PEM or its base64; absent: kept in DATA_DIR.
    FEDERATION_PRIVATE_KEY: optionalText.pipe(
      z
        .string()
        .transform((value) => (value.startsWith('-----BEGIN') ? value : Buffer.from(value, 'base64').toString('utf8')).replace(/\\n/g, '\n'))
        .refine(isEd25519PrivateKey, 'must be an Ed25519 private key in PKCS#8 PEM (-----BEGIN PRIVATE KEY-----), or its base64')
        .optional(),
    ),
    // Hosts a linked deployment may be at although private or loopback (and over http): for local work and tests.
    FEDERATION_ALLOW_HOSTS: optionalText.transform(hostList),
    // How long a cross transfer with another deployment may stay prepared before both sides cancel it.
    FEDERATION_PREPARE_TIMEOUT_MINUTES: integerText(10, 1, 1440),
    CORS_ORIGINS: optionalText
      .transform((value) => (value ? value.split(',').map((origin) => origin.trim()).filter(Boolean) : []))
      .pipe(
        z
          .array(
            z
              .url({ protocol: /^https?$/, error: 'must be a comma-separated list of http(s) origins' })
              // Browsers send the bare origin: a path or a trailing slash would never match.
              .refine((origin) => URL.canParse(origin) && new URL(origin).origin === origin, 'must be origins only (scheme, host and port; no path or trailing slash)'),
          )
          .max(50),
      ),
  })
  .superRefine((env, context) => {
    if (env.DATABASE_URL && !env.JWT_SECRET) {
      context.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message: 'is required when DATABASE_URL is set (every API process must share it)',
      });
    }
    if (Boolean(env.ADMIN_EMAIL) !== Boolean(env.ADMIN_PASSWORD)) {
      context.addIssue({
        code: 'custom',
        path: ['ADMIN_PASSWORD'],
        message: 'ADMIN_EMAIL and ADMIN_PASSWORD go together: set both or neither',
      });
    }
  });

export type Config = {
  port: number;
  host: string;
  /** Absent: the embedded PGlite database in dataDir. */
  databaseUrl: string | undefined;
  databasePoolSize: number;
  /** A database connection is replaced once this old (0: never). */
  databaseConnectionLifetimeSeconds: number;
  dataDir: string;
  jwtSecret: string;
  tokenTtlSeconds: number;
  /** A login's refresh token works this long after its last use. */
  sessionTtlSeconds: number;
  admin: { email: string; password: string } | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * Token requests allowed per window: `max` per client address and identifier (an email or a
   * client id), `perIdentifierMax` per identifier from any address, `perAddressMax` per address
   * whatever the identifier.
   */
  loginRateLimit: { max: number; perIdentifierMax: number; perAddressMax: number; windowSeconds: number };
  /** Where the login counters live, shared by every process; absent: in each process's memory. */
  redis: { url: string; keyPrefix: string } | undefined;
  /** Browser origins allowed to call the API cross-origin; none by default (CORS off). */
  corsOrigins: string[];
  /** Group commit: at most this many single transfers share a transaction (1: none share). */
  transferGroupMax: number;
  /** How often each process's sealer appends committed transfers to their chains. */
  sealIntervalMs: number;
  /** Every response also checked against its schema by zod (slower; the test suite does). */
  checkResponses: boolean;
  /** The bearer token /metrics requires; absent: /metrics answers 404. */
  metricsToken: string | undefined;
  /** Hosts webhook deliveries may reach whatever their address, over http too. */
  webhookAllowHosts: string[];
  /** Seconds between failed delivery attempts (the specification's schedule when absent). */
  webhookRetrySchedule: number[] | undefined;
  /** Email: the SMTP server, the sender, and the service's public URL for links; absent: no email. */
  mail: { smtpUrl: string; from: string; publicUrl: string } | undefined;
  /** Where people reach the service (PUBLIC_URL), for the links it prints; absent: localhost and the port it listens on. */
  publicUrl: string | undefined;
  /**
   * Links with timebanks of other deployments: this deployment's URL as peers reach it, its
   * private key (absent: the one kept in dataDir), and hosts exempt from the address rules.
   */
  federation: { publicUrl: string; privateKeyPem: string | undefined; allowHosts: string[]; prepareTimeoutMinutes: number };
};

const publicUrlOf = (env: { PUBLIC_URL?: string | undefined; PORT: number }) => (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, '');

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`,
    );
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  const dataDir = path.resolve(env.DATA_DIR);
  return {
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    databasePoolSize: env.DATABASE_POOL_SIZE,
    databaseConnectionLifetimeSeconds: env.DATABASE_CONNECTION_LIFETIME_SECONDS,
    dataDir,
    jwtSecret: env.JWT_SECRET ?? readOrCreateJwtSecret(dataDir),
    tokenTtlSeconds: env.TOKEN_TTL_SECONDS,
    sessionTtlSeconds: env.SESSION_TTL_SECONDS,
    admin:
      env.ADMIN_EMAIL && env.ADMIN_PASSWORD
        ? { email: env.ADMIN_EMAIL.toLowerCase(), password: env.ADMIN_PASSWORD }
        : undefined,
    logLevel: env.LOG_LEVEL,
    loginRateLimit: {
      max: env.LOGIN_RATE_LIMIT_MAX,
      perIdentifierMax: env.LOGIN_RATE_LIMIT_PER_IDENTIFIER_MAX,
      perAddressMax: env.LOGIN_RATE_LIMIT_PER_ADDRESS_MAX,
      windowSeconds: env.LOGIN_RATE_LIMIT_WINDOW_SECONDS,
    },
    redis: env.REDIS_URL ? { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX } : undefined,
    corsOrigins: env.CORS_ORIGINS,
    transferGroupMax: env.TRANSFER_GROUP_MAX,
    sealIntervalMs: env.SEAL_INTERVAL_MS,
    checkResponses: env.CHECK_RESPONSES,
    metricsToken: env.METRICS_TOKEN,
    webhookAllowHosts: env.WEBHOOK_ALLOW_HOSTS,
    webhookRetrySchedule: env.WEBHOOK_RETRY_SCHEDULE,
    mail: env.SMTP_URL
      ? { smtpUrl: env.SMTP_URL, from: env.MAIL_FROM, publicUrl: publicUrlOf(env) }
      : undefined,
    publicUrl: env.PUBLIC_URL?.replace(/\/$/, ''),
    federation: { publicUrl: publicUrlOf(env), privateKeyPem: env.FEDERATION_PRIVATE_KEY, allowHosts: env.FEDERATION_ALLOW_HOSTS, prepareTimeoutMinutes: env.FEDERATION_PREPARE_TIMEOUT_MINUTES },
  };
}

/**
 * In embedded mode a single process owns the data directory, so a secret generated once and
 * kept beside the data keeps tokens valid across restarts without any setup.
 */
function readOrCreateJwtSecret(dataDir: string): string {
  const secretPath = path.join(dataDir, 'jwt-secret');
  if (existsSync(secretPath)) {
    return readFileSync(secretPath, 'utf8').trim();
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(secretPath, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** Loads a .env file from the working directory into the environment, when there is one. */
export function loadDotEnvFile(file = '.env'): void {
  if (existsSync(file)) {
    process.loadEnvFile(file);
  }
}
