import { useEffect, useState } from 'preact/hooks';
import { call, json, type Session } from '../api.js';
import { date } from '../format.js';
import { FailureMessage } from '../forms.js';
import { baseOf, Done, Field, useAction } from './common.js';
import { EventTypeChoice } from './event-types.js';

/* One subscribed endpoint: its state, a test ping, pause and resume, changes, its delivery log, unsubscribing. */

export type Webhook = {
  id: string;
  url: string;
  eventTypes: string[];
  description: string | null;
  status: 'active' | 'disabled';
  deliveredThrough: number;
  failingSince: string | null;
  disabledAt: string | null;
};
type Delivery = { sequence: number; eventId: string; eventType: string; attempts: number; lastStatusCode: number | null; lastError: string | null; lastAttemptAt: string; nextAttemptAt: string | null; deliveredAt: string | null };
type Ping = { delivered: boolean; statusCode: number | null; error: string | null; durationMs: number };
type Props = { session: Session; onExpired: () => void; webhook: Webhook; onChanged: () => void };

const PAGE = 20;

export function WebhookRow({ session, onExpired, webhook, onChanged }: Props) {
  const [panel, setPanel] = useState<'none' | 'edit' | 'deliveries'>('none');
  const { failure, done, busy, run } = useAction(onExpired);
  const path = `${baseOf(session)}/webhooks/${webhook.id}`;
  const ping = () =>
    run(async () => {
      const answer = await json<Ping>(session.token, `${path}/test`, { method: 'POST' });
      if (answer.delivered) return `Test event delivered: the endpoint answered ${answer.statusCode} in ${answer.durationMs} ms.`;
      return `Test event not delivered: ${answer.error ?? `the endpoint answered ${answer.statusCode}`}.`;
    });
  const setStatus = (status: Webhook['status']) =>
    run(async () => {
      await json(session.token, path, { method: 'PATCH', body: { status } });
      onChanged();
      return status === 'active' ? 'Deliveries resume.' : 'Deliveries are paused.';
    });
  const remove = () => {
    if (!window.confirm(`Unsubscribe ${webhook.url}? It receives nothing more, and its delivery log is deleted.`)) return;
    void run(async () => {
      await call(session.token, path, { method: 'DELETE' });
      onChanged();
    });
  };
  const toggle = (next: 'edit' | 'deliveries') => setPanel(panel === next ? 'none' : next);
  return (
    <li data-testid="webhook-row" data-webhook={webhook.id}>
      <span>
        <strong>{webhook.url}</strong> · {webhook.status}
        {webhook.description ? ` · ${webhook.description}` : ''}
        <span class="hint">
          {' '}
          · {webhook.eventTypes.join(', ')} · delivered through event {webhook.deliveredThrough}
          {webhook.failingSince ? ` · failing since ${date(webhook.failingSince)}` : ''}
        </span>
      </span>
      <span class="actions">
        <button type="button" class="secondary" disabled={busy} onClick={() => void ping()}>
          Send a test event
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={() => void setStatus(webhook.status === 'active' ? 'disabled' : 'active')}>
          {webhook.status === 'active' ? 'Pause' : 'Resume'}
        </button>
        <button type="button" class="secondary" aria-expanded={panel === 'edit'} onClick={() => toggle('edit')}>
          Change
        </button>
        <button type="button" class="secondary" aria-expanded={panel === 'deliveries'} onClick={() => toggle('deliveries')}>
          Deliveries
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={remove}>
          Unsubscribe
        </button>
      </span>
      <div class="editor">
        <FailureMessage failure={failure} />
        <Done message={done} />
        {panel === 'edit' && <WebhookChange session={session} onExpired={onExpired} webhook={webhook} onChanged={onChanged} />}
        {panel === 'deliveries' && <Deliveries session={session} onExpired={onExpired} path={path} />}
      </div>
    </li>
  );
}

function WebhookChange({ session, onExpired, webhook, onChanged }: Props) {
  const [url, setUrl] = useState(webhook.url);
  const [eventTypes, setEventTypes] = useState(webhook.eventTypes);
  const [description, setDescription] = useState(webhook.description ?? '');
  const { failure, done, busy, run } = useAction(onExpired);
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const body = { ...(url !== webhook.url ? { url } : {}), eventTypes, ...(description !== (webhook.description ?? '') ? { description } : {}) };
      await json(session.token, `${baseOf(session)}/webhooks/${webhook.id}`, { method: 'PATCH', body });
      onChanged();
      return 'Saved.';
    });
  };
  return (
    <form onSubmit={submit} noValidate aria-label={`Change ${webhook.url}`}>
      <Field id={`url-${webhook.id}`} label="URL" field="url" type="url" failure={failure} value={url} onInput={setUrl} />
      <EventTypeChoice id={webhook.id} chosen={eventTypes} onChange={setEventTypes} failure={failure} />
      <Field id={`description-${webhook.id}`} label="Description" field="description" failure={failure} value={description} onInput={setDescription} />
      <FailureMessage failure={failure} />
      <Done message={done} />
      <button type="submit" disabled={busy}>
        Save the endpoint
      </button>
    </form>
  );
}

function Deliveries({ session, onExpired, path }: { session: Session; onExpired: () => void; path: string }) {
  const [deliveries, setDeliveries] = useState<Delivery[] | null>(null);
  const [more, setMore] = useState(false);
  const { failure, run } = useAction(onExpired);
  const load = (before: number | null) =>
    run(async () => {
      const page = await json<{ items: Delivery[] }>(session.token, `${path}/deliveries?limit=${PAGE}${before ? `&before=${before}` : ''}`);
      setDeliveries((shown) => (before ? [...(shown ?? []), ...page.items] : page.items));
      setMore(page.items.length === PAGE);
    });
  useEffect(() => {
    void load(null);
  }, [path]);
  const last = deliveries?.[deliveries.length - 1];
  return (
    <section aria-label="Deliveries">
      <FailureMessage failure={failure} />
      {deliveries && deliveries.length === 0 && <p>Nothing has been sent to it yet.</p>}
      {deliveries && deliveries.length > 0 && (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last answer</th>
                <th scope="col">Delivered</th>
                <th scope="col">Next attempt</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((delivery) => (
                <tr key={delivery.sequence} data-testid="delivery">
                  <td>
                    {delivery.sequence}: {delivery.eventType}
                  </td>
                  <td class="number">{delivery.attempts}</td>
                  <td>{delivery.lastStatusCode ?? delivery.lastError ?? '—'}</td>
                  <td>{delivery.deliveredAt ? new Date(delivery.deliveredAt).toLocaleString() : 'not yet'}</td>
                  <td>{delivery.nextAttemptAt ? new Date(delivery.nextAttemptAt).toLocaleString() : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {more && last && (
        <button type="button" class="secondary" onClick={() => void load(last.sequence)}>
          Older deliveries
        </button>
      )}
    </section>
  );
}
