import ipaddr from 'ipaddr.js';
import { invalidField } from './errors.js';

/*
 * Webhook rules (docs/webhooks.md): which URLs may receive deliveries, when a failed delivery
 * is tried again, and when an endpoint that keeps failing is disabled. Pure: the shell resolves
 * names and sends.
 */

/** A 2xx within this long delivers; anything else is a failure. */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** An endpoint failing this long without one success is disabled. */
export const DISABLE_AFTER_MS = 3 * 86_400_000;

/**
 * Seconds to wait after the nth failed attempt (1-based) before the next, as the Standard
 * Webhooks specification suggests; after the last, every 10 hours until the endpoint is
 * disabled, which makes at least 24 hours of retries.
 */
export const RETRY_SCHEDULE_SECONDS = [5, 300, 1_800, 7_200, 18_000, 36_000];

export function retryDelayMs(failedAttempts: number, schedule: readonly number[] = RETRY_SCHEDULE_SECONDS): number {
  const index = Math.min(Math.max(failedAttempts, 1), schedule.length) - 1;
  return Math.round(schedule[index]! * 1000);
}

/** Whether an endpoint failing since `failingSince` is to be disabled at `now`. */
export function shouldDisable(failingSince: Date | null, now: Date): boolean {
  return failingSince !== null && now.getTime() - failingSince.getTime() >= DISABLE_AFTER_MS;
}

/** Hosts (names or addresses) exempt from the address rules, where http is allowed too: WEBHOOK_ALLOW_HOSTS. */
export type AllowedHosts = ReadonlySet<string>;

const bareHost = (hostname: string) => hostname.replace(/^\[|\]$/g, '').toLowerCase();

/** Whether an address is one a delivery may reach: public unicast only. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === 'unicast';
}

/**
 * A webhook URL as given: absolute https without credentials, to a host that is not a private,
 * loopback or link-local address. Hosts in `allowed` may use http and any address (a refusal
 * names `allowList`, the setting that lists them). Names are checked again at each delivery,
 * once resolved (checkResolved).
 */
export function checkWebhookUrl(value: string, allowed: AllowedHosts, field = 'url', allowList = 'WEBHOOK_ALLOW_HOSTS'): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidField('body', field, 'must be an absolute URL');
  }
  const host = bareHost(url.hostname);
  const exempt = allowed.has(host);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && exempt)) {
    throw invalidField('body', field, exempt ? 'must be http or https' : `must be https (http only for hosts in ${allowList})`);
  }
  if (url.username !== '' || url.password !== '') throw invalidField('body', field, 'must not carry credentials');
  if (url.hash !== '') throw invalidField('body', field, 'must not have a fragment');
  if (!exempt && ipaddr.isValid(host) && !isPublicAddress(host)) {
    throw invalidField('body', field, 'must not point at a private, loopback or link-local address');
  }
  if (!exempt && (host === 'localhost' || host.endsWith('.localhost'))) {
    throw invalidField('body', field, 'must not point at a private, loopback or link-local address');
  }
  return url;
}

/** The addresses a name resolved to, at delivery: every one must be public, unless the host is allowed. */
export function checkResolved(hostname: string, addresses: string[], allowed: AllowedHosts): string | undefined {
  if (allowed.has(bareHost(hostname))) return undefined;
  // The address itself is not said: the answer reaches the subscriber, who must not map the network.
  return addresses.some((address) => !isPublicAddress(address)) ? `${hostname} does not resolve to a public address only` : undefined;
}
