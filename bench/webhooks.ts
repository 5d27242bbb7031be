import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { percentile } from './support.js';

/*
 * The write path with one webhook subscribed to every event, against none (docs/webhooks.md):
 * a receiver in the bench process answers each delivery 204 at once and records the delivery
 * lag, from the event's occurredAt (the write's time, just before its commit) to its arrival.
 */

const ALL_TYPES = ['transfer.created', 'transfer.posted', 'transfer.rejected', 'transfer.expired', 'transfer.reversed', 'member.created', 'member.updated', 'listing.created', 'listing.updated'];

export type Receiver = { url: string; lagsMs: number[]; lastSequence: () => number; close: () => Promise<void> };

export async function startReceiver(): Promise<Receiver> {
  const lagsMs: number[] = [];
  let last = 0;
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const event = JSON.parse(body) as { occurredAt: string; sequence: number };
      lagsMs.push(Date.now() - Date.parse(event.occurredAt));
      last = Math.max(last, event.sequence);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    lagsMs,
    lastSequence: () => last,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Subscribes the receiver to every event of the timebank; returns a function that unsubscribes it. */
export async function subscribe(base: string, tb: string, headers: Record<string, string>, url: string): Promise<() => Promise<void>> {
  const response = await fetch(`${base}/v1/timebanks/${tb}/webhooks`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ url, eventTypes: ALL_TYPES }) });
  if (response.status !== 201) throw new Error(`subscribing the bench's webhook answered ${response.status}: ${await response.text()}`);
  const { id } = (await response.json()) as { id: string };
  return async () => void (await fetch(`${base}/v1/timebanks/${tb}/webhooks/${id}`, { method: 'DELETE', headers }));
}

/** Waits (up to `ms`) until the receiver has the feed's head; the lags of what arrived by then. */
export async function drain(receiver: Receiver, head: () => Promise<number>, ms: number) {
  const started = Date.now();
  const target = await head();
  while (receiver.lastSequence() < target && Date.now() - started < ms) await new Promise((resolve) => setTimeout(resolve, 100));
  const lags = receiver.lagsMs;
  return {
    delivered: lags.length,
    caughtUp: receiver.lastSequence() >= target,
    drainMs: Date.now() - started,
    lagP50Ms: lags.length ? Math.round(percentile(lags, 0.5)) : null,
    lagP99Ms: lags.length ? Math.round(percentile(lags, 0.99)) : null,
  };
}

export type DeliveryCost = { replayed: number; delivered: number; deliveriesPerSecond: number; serviceMicrosecondsPerDelivery: number; machineMicrosecondsPerDelivery: number };

/**
 * What one delivery costs, with nothing else running: a new endpoint is set back by `replay`
 * events (in SQL: the API subscribes an endpoint at the feed's head) and delivers them to a new
 * receiver, while /proc counts the service's and the machine's CPU. Set against the CPU of a
 * transfer, it bounds how much of the transfer rate a machine kept busy by transfers can keep
 * while one endpoint receives every event as it is written.
 */
export async function measureDeliveryCost(options: {
  base: string;
  tb: string;
  headers: Record<string, string>;
  replay: number;
  head: () => Promise<number>;
  /** Sets the endpoint at `url` back to just after sequence `to`, due now. */
  rewind: (url: string, to: number) => Promise<void>;
  cpu: { service: () => number; machineBusy: () => number };
}): Promise<DeliveryCost> {
  const receiver = await startReceiver();
  const unsubscribe = await subscribe(options.base, options.tb, options.headers, receiver.url);
  try {
    const head = await options.head();
    const replayed = Math.min(options.replay, head);
    const service = options.cpu.service();
    const machine = options.cpu.machineBusy();
    const started = performance.now();
    await options.rewind(receiver.url, head - replayed);
    const drained = await drain(receiver, async () => head, 120_000);
    const elapsedMs = performance.now() - started;
    const per = (ms: number) => Math.round((ms * 1000) / Math.max(1, drained.delivered));
    return {
      replayed,
      delivered: drained.delivered,
      deliveriesPerSecond: Math.round((drained.delivered / elapsedMs) * 1000),
      serviceMicrosecondsPerDelivery: per(options.cpu.service() - service),
      machineMicrosecondsPerDelivery: per(options.cpu.machineBusy() - machine),
    };
  } finally {
    await unsubscribe();
    await receiver.close();
  }
}
