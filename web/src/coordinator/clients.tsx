import { useEffect, useState } from 'preact/hooks';
import { allPages, call, json, onFailure, type Session } from '../api.js';
import { date, dateTime } from '../format.js';
import { FailureMessage, FieldMessage } from '../forms.js';
import { t } from '../i18n.js';
import type { MessageId } from '../messages/index.js';
import type { PageProps } from '../pages.js';
import { baseOf, Done, Field, useAction } from './common.js';

/*
 * Partner apps: register one with the scopes it needs, see them all, rotate a secret, revoke
 * one. A secret is shown once, when it is made: the page says so, and offers to copy it.
 */

type Client = { id: string; name: string; scopes: string[]; createdAt: string; lastUsedAt: string | null; revokedAt: string | null; previousSecretExpiresAt: string | null };
type Created = Client & { clientSecret: string };

/** The scopes a partner app may hold, with what each lets it do. */
const SCOPES: Array<[scope: string, meaning: MessageId]> = [
  ['members:read', 'partners.scope.members:read'],
  ['members:write', 'partners.scope.members:write'],
  ['ledger:read', 'partners.scope.ledger:read'],
  ['ledger:write', 'partners.scope.ledger:write'],
  ['listings:write', 'partners.scope.listings:write'],
  ['reports:read', 'partners.scope.reports:read'],
  ['events:read', 'partners.scope.events:read'],
  ['webhooks:write', 'partners.scope.webhooks:write'],
];

export function ClientsPage({ session, onExpired }: PageProps) {
  const [clients, setClients] = useState<Client[] | null>(null);
  const [secret, setSecret] = useState<{ name: string; id: string; secret: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    allPages<Client>(session.token, `${baseOf(session)}/clients`)
      .then(setClients)
      .catch(onFailure(onExpired, setError));
  }, [version]);
  const reveal = (created: Created) => {
    setSecret({ name: created.name, id: created.id, secret: created.clientSecret });
    setVersion((value) => value + 1);
  };
  return (
    <main>
      <h1>{t('app.page.partners')}</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {secret && <SecretOnce {...secret} onDone={() => setSecret(null)} />}
      {clients === null ? (
        <p aria-busy="true">{t('partners.loading')}</p>
      ) : clients.length === 0 ? (
        <p>{t('partners.none')}</p>
      ) : (
        <ul class="items" aria-label={t('app.page.partners')}>
          {clients.map((client) => (
            <ClientRow key={client.id} session={session} onExpired={onExpired} client={client} onSecret={reveal} onChanged={() => setVersion((value) => value + 1)} />
          ))}
        </ul>
      )}
      <NewClient session={session} onExpired={onExpired} onCreated={reveal} />
    </main>
  );
}

/** The one time a secret is shown. */
function SecretOnce({ name, id, secret, onDone }: { name: string; id: string; secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = () =>
    navigator.clipboard.writeText(secret).then(
      () => setCopied(t('partners.copied')),
      () => setCopied(t('partners.copyRefused')),
    );
  return (
    <section class="card secret" role="alert" aria-labelledby="secret-heading">
      <h2 id="secret-heading">{t('partners.secretTitle', { name })}</h2>
      <p>{t('partners.secretOnce')}</p>
      <dl class="facts">
        <div>
          <dt>{t('partners.clientId')}</dt>
          <dd>
            <code data-testid="client-id">{id}</code>
          </dd>
        </div>
        <div>
          <dt>{t('partners.secret')}</dt>
          <dd>
            <code data-testid="client-secret">{secret}</code>
          </dd>
        </div>
      </dl>
      <p class="actions">
        <button type="button" onClick={copy}>
          {t('partners.copy')}
        </button>
        <button type="button" class="secondary" onClick={onDone}>
          {t('partners.stored')}
        </button>
      </p>
      {copied && <p role="status">{copied}</p>}
    </section>
  );
}

type RowProps = { session: Session; onExpired: () => void; client: Client; onSecret: (created: Created) => void; onChanged: () => void };

function ClientRow({ session, onExpired, client, onSecret, onChanged }: RowProps) {
  const [grace, setGrace] = useState('0');
  const { failure, done, busy, run } = useAction(onExpired);
  const path = `${baseOf(session)}/clients/${client.id}`;
  const revoke = () => {
    if (!window.confirm(t('partners.revokeQuestion', { name: client.name }))) return;
    void run(async () => {
      await call(session.token, path, { method: 'DELETE' });
      onChanged();
      return t('partners.revokedDone', { name: client.name });
    });
  };
  const rotate = (event: Event) => {
    event.preventDefault();
    const seconds = Number(grace || '0');
    const question = seconds > 0 ? t('partners.rotateGrace', { name: client.name, seconds }) : t('partners.rotateNow', { name: client.name });
    if (!window.confirm(question)) return;
    void run(async () => {
      onSecret(await json<Created>(session.token, `${path}/secret`, { method: 'POST', body: { graceSeconds: Number.isFinite(seconds) ? seconds : grace } }));
    });
  };
  return (
    <li data-testid="client-row" data-client={client.id}>
      <span>
        <strong>{client.name}</strong> · {client.scopes.join(', ')}
        <span class="hint">
          {' · '}
          {t('partners.registered', { date: date(client.createdAt) })} · {t('partners.lastUsed', { date: date(client.lastUsedAt) })}
          {client.previousSecretExpiresAt ? ` · ${t('partners.oldSecretUntil', { date: dateTime(client.previousSecretExpiresAt) })}` : ''}
        </span>
        {client.revokedAt && <strong data-testid="client-revoked"> · {t('partners.revoked', { date: date(client.revokedAt) })}</strong>}
      </span>
      {!client.revokedAt && (
        <form class="actions" onSubmit={rotate} noValidate aria-label={t('partners.secretOf', { name: client.name })}>
          <label for={`grace-${client.id}`} class="inline">
            {t('partners.grace')}
          </label>
          <input id={`grace-${client.id}`} class="short" type="number" min="0" max="86400" value={grace} onInput={(event) => setGrace(event.currentTarget.value)} />
          <button type="submit" class="secondary" disabled={busy}>
            {t('partners.newSecret')}
          </button>
          <button type="button" class="secondary" disabled={busy} onClick={revoke}>
            {t('partners.revoke', { name: client.name })}
          </button>
        </form>
      )}
      <FieldMessage failure={failure} field="graceSeconds" />
      <FailureMessage failure={failure} />
      <Done message={done} />
    </li>
  );
}

function NewClient({ session, onExpired, onCreated }: { session: Session; onExpired: () => void; onCreated: (created: Created) => void }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const { failure, busy, run } = useAction(onExpired);
  const toggle = (scope: string, on: boolean) => setScopes((chosen) => (on ? [...chosen, scope] : chosen.filter((each) => each !== scope)));
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      onCreated(await json<Created>(session.token, `${baseOf(session)}/clients`, { method: 'POST', body: { name, scopes } }));
      setName('');
      setScopes([]);
    });
  };
  return (
    <section class="card" aria-labelledby="new-client-heading">
      <h2 id="new-client-heading">{t('partners.register')}</h2>
      <form onSubmit={submit} noValidate>
        <Field id="client-name" label={t('partners.name')} field="name" failure={failure} value={name} onInput={setName} />
        <fieldset>
          <legend>{t('partners.mayDo')}</legend>
          {SCOPES.map(([scope, meaning]) => (
            <div key={scope}>
              <label class="inline">
                <input type="checkbox" name="scopes" value={scope} checked={scopes.includes(scope)} onChange={(event) => toggle(scope, event.currentTarget.checked)} /> {scope}: {t(meaning)}
              </label>
            </div>
          ))}
        </fieldset>
        <FieldMessage failure={failure} field="scopes" />
        <FailureMessage failure={failure} />
        <button type="submit" disabled={busy}>
          {t('partners.registerSubmit')}
        </button>
      </form>
    </section>
  );
}
