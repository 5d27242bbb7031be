import { useEffect, useState } from 'preact/hooks';
import { json, onFailure, type Session } from '../api.js';
import { FailureMessage } from '../forms.js';
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
      <h1>Webhooks</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {secret && (
        <section class="card secret" role="alert" aria-labelledby="webhook-secret-heading">
          <h2 id="webhook-secret-heading">Copy the signing secret now</h2>
          <p>It is shown only this once. The endpoint {secret.url} checks each delivery's signature with it.</p>
          <p>
            <code data-testid="webhook-secret">{secret.secret}</code>
          </p>
          <button type="button" class="secondary" onClick={() => setSecret(null)}>
            I have stored it
          </button>
        </section>
      )}
      {webhooks === null ? (
        <p aria-busy="true">Loading…</p>
      ) : webhooks.length === 0 ? (
        <p>No endpoint is subscribed.</p>
      ) : (
        <ul class="items" aria-label="Webhooks">
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
      <h2 id="new-webhook-heading">Subscribe an endpoint</h2>
      <form onSubmit={submit} noValidate>
        <Field id="webhook-url" label="URL" field="url" type="url" failure={failure} value={url} onInput={setUrl} hint="https, reachable from the internet." />
        <EventTypeChoice id="new-webhook" chosen={eventTypes} onChange={setEventTypes} failure={failure} />
        <Field id="webhook-description" label="Description (optional)" field="description" failure={failure} value={description} onInput={setDescription} />
        <FailureMessage failure={failure} />
        <button type="submit" disabled={busy}>
          Subscribe
        </button>
      </form>
    </section>
  );
}
