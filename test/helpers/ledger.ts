import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { TestService } from './service.js';

/** POST with an Idempotency-Key (a fresh one unless given). */
export function postWithKey(
  service: TestService,
  url: string,
  body: unknown,
  token: string,
  key: string = randomUUID(),
): Promise<LightMyRequestResponse> {
  return service.request({ method: 'POST', url, payload: body as object, token, headers: { 'idempotency-key': key } });
}

export async function balanceOf(service: TestService, base: string, accountId: string, token: string): Promise<number> {
  const account = await service.get<{ balanceMinutes: number }>(`${base}/accounts/${accountId}`, token);
  return account.balanceMinutes;
}
