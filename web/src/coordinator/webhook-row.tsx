import { useEffect, useState } from 'preact/hooks';
import { call, json, type Session } from '../api.js';
import { date, dateTime } from '../format.js';
import { FailureMessage } from '../forms.js';
import { t } from '../i18n.js';
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
      if (answer.delivered) return t('partners.webhook.delivered', { status: String(answer.statusCode), ms: answer.durationMs });
      return answer.error ? t('partners.webhook.failed', { reason: answer.error }) : t('partners.webhook.failedAnswer', { status: String(answer.statusCode) });
    });
  const setStatus = (status: Webhook['status']) =>
    run(async () => {
      await json(session.token, path, { method: 'PATCH', body: { status } });
      onChanged();
      return t(status === 'active' ? 'partners.webhook.resumed' : 'partners.webhook.paused');
    });
  const remove = () => {
    if (!window.confirm(t('partners.webhook.unsubscribeQuestion', { url: webhook.url }))) return;
    void run(async () => {
      await call(session.token, path, { method: 'DELETE' });
      onChanged();
    });
  };
  const toggle = (next: 'edit' | 'deliveries') => setPanel(panel === next ? 'none' : next);
  return (
    <li data-testid="webhook-row" data-webhook={webhook.id}>
      <span>
        <strong>{webhook.url}</strong> · {t('partners.webhook.status', { status: webhook.status })}
        {webhook.description ? ` · ${webhook.description}` : ''}
        <span class="hint">
          {' · '}
          {webhook.eventTypes.join(', ')} · {t('partners.webhook.through', { sequence: webhook.deliveredThrough })}
          {webhook.failingSince ? ` · ${t('partners.webhook.failing', { date: date(webhook.failingSince) })}` : ''}
        </span>
      </span>
      <span class="actions">
        <button type="button" class="secondary" disabled={busy} onClick={() => void ping()}>
          {t('partners.webhook.test')}
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={() => void setStatus(webhook.status === 'active' ? 'disabled' : 'active')}>
          {webhook.status === 'active' ? t('partners.webhook.pause') : t('partners.webhook.resume')}
        </button>
        <button type="button" class="secondary" aria-expanded={panel === 'edit'} onClick={() => toggle('edit')}>
          {t('partners.webhook.change')}
        </button>
        <button type="button" class="secondary" aria-expanded={panel === 'deliveries'} onClick={() => toggle('deliveries')}>
          {t('partners.webhook.deliveries')}
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={remove}>
          {t('partners.webhook.unsubscribe')}
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
      return t('partners.webhook.saved');
    });
  };
  return (
    <form onSubmit={submit} noValidate aria-label={t('partners.webhook.changeLabel', { url: webhook.url })}>
      <Field id={`url-${webhook.id}`} label={t('partners.webhook.url')} field="url" type="url" failure={failure} value={url} onInput={setUrl} />
      <EventTypeChoice id={webhook.id} chosen={eventTypes} onChange={setEventTypes} failure={failure} />
      <Field id={`description-${webhook.id}`} label={t('partners.webhook.description')} field="description" failure={failure} value={description} onInput={setDescription} />
      <FailureMessage failure={failure} />
      <Done message={done} />
      <button type="submit" disabled={busy}>
        {t('partners.webhook.save')}
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
    <section aria-label={t('partners.webhook.deliveries')}>
      <FailureMessage failure={failure} />
      {deliveries && deliveries.length === 0 && <p>{t('partners.webhook.nothingSent')}</p>}
      {deliveries && deliveries.length > 0 && (
        <div class="scroll" role="group" aria-label={t('partners.webhook.deliveries')} tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('partners.webhook.event')}</th>
                <th scope="col">{t('partners.webhook.attempts')}</th>
                <th scope="col">{t('partners.webhook.lastAnswer')}</th>
                <th scope="col">{t('partners.webhook.deliveredAt')}</th>
                <th scope="col">{t('partners.webhook.nextAttempt')}</th>
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
                  <td>{delivery.deliveredAt ? dateTime(delivery.deliveredAt) : t('partners.webhook.notYet')}</td>
                  <td>{dateTime(delivery.nextAttemptAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {more && last && (
        <button type="button" class="secondary" onClick={() => void load(last.sequence)}>
          {t('partners.webhook.older')}
        </button>
      )}
    </section>
  );
}
