import { useEffect, useState } from 'preact/hooks';
import { json, onFailure, type Session } from '../api.js';
import { FailureMessage } from '../forms.js';
import { t } from '../i18n.js';
import type { PageProps } from '../pages.js';
import { baseOf, Field, useAction } from './common.js';
import { EventTypeChoice } from './event-types.js';
import { WebhookRow, type Webhook } from './webhook-row.js';

/*
 * Webhooks: endpoints that receive the timebank's events, signed with a secret shown once when
 * the endpoint is subscribed. Each can be changed, paused, tested and unsubscribed, and its
 * delivery log read.
 */

export function WebhooksPage({ session, onExpired }: PageProps) {
  const [webhooks, setWebhooks] = useState<Webhook[] | null>(null);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    json<{ items: Webhook[] }>(session.token, `${baseOf(session)}/webhooks`)
      .then((found) => setWebhooks(found.items))
      .catch(onFailure(onExpired, setError));
  }, [version]);
  const changed = () => setVersion((value) => value + 1);
  return (
    <main class="wide">
      <h1>{t('app.page.webhooks')}</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {secret && (
        <section class="card secret" role="alert" aria-labelledby="webhook-secret-heading">
          <h2 id="webhook-secret-heading">{t('partners.webhook.secretTitle')}</h2>
          <p>{t('partners.webhook.secretOnce', { url: secret.url })}</p>
          <p>
            <code data-testid="webhook-secret">{secret.secret}</code>
          </p>
          <button type="button" class="secondary" onClick={() => setSecret(null)}>
            {t('partners.stored')}
          </button>
        </section>
      )}
      {webhooks === null ? (
        <p aria-busy="true">{t('partners.loading')}</p>
      ) : webhooks.length === 0 ? (
        <p>{t('partners.webhook.none')}</p>
      ) : (
        <ul class="items" aria-label={t('app.page.webhooks')}>
          {webhooks.map((webhook) => (
            <WebhookRow key={webhook.id} session={session} onExpired={onExpired} webhook={webhook} onChanged={changed} />
          ))}
        </ul>
      )}
      <NewWebhook
        session={session}
        onExpired={onExpired}
        onCreated={(created) => {
          setSecret(created);
          changed();
        }}
      />
    </main>
  );
}

function NewWebhook({ session, onExpired, onCreated }: { session: Session; onExpired: () => void; onCreated: (created: { url: string; secret: string }) => void }) {
  const [url, setUrl] = useState('https://');
  const [eventTypes, setEventTypes] = useState<string[]>([]);
  const [description, setDescription] = useState('');
  const { failure, busy, run } = useAction(onExpired);
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const body = { url, eventTypes, ...(description.trim() ? { description: description.trim() } : {}) };
      const created = await json<Webhook & { secret: string }>(session.token, `${baseOf(session)}/webhooks`, { method: 'POST', body });
      setUrl('https://');
      setDescription('');
      setEventTypes([]);
      onCreated({ url: created.url, secret: created.secret });
    });
  };
  return (
    <section class="card" aria-labelledby="new-webhook-heading">
      <h2 id="new-webhook-heading">{t('partners.webhook.subscribeTitle')}</h2>
      <form onSubmit={submit} noValidate>
        <Field id="webhook-url" label={t('partners.webhook.url')} field="url" type="url" failure={failure} value={url} onInput={setUrl} hint={t('partners.webhook.urlHint')} />
        <EventTypeChoice id="new-webhook" chosen={eventTypes} onChange={setEventTypes} failure={failure} />
        <Field id="webhook-description" label={t('partners.webhook.descriptionOptional')} field="description" failure={failure} value={description} onInput={setDescription} />
        <FailureMessage failure={failure} />
        <button type="submit" disabled={busy}>
          {t('partners.webhook.subscribe')}
        </button>
      </form>
    </section>
  );
}
