import { useEffect, useState } from 'preact/hooks';
import { allPages, call, json, onFailure, type Session } from '../api.js';
import { date } from '../format.js';
import { FailureMessage, FieldMessage } from '../forms.js';
import type { PageProps } from '../pages.js';
import { baseOf, Done, Field, useAction } from './common.js';

/*
 * Partner apps: register one with the scopes it needs, see them all, rotate a secret, revoke
 * one. A secret is shown once, when it is made: the page says so, and offers to copy it.
 */

type Client = { id: string; name: string; scopes: string[]; createdAt: string; lastUsedAt: string | null; revokedAt: string | null; previousSecretExpiresAt: string | null };
type Created = Client & { clientSecret: string };

/** The scopes a partner app may hold, with what each lets it do. */
const SCOPES: Array<[scope: string, meaning: string]> = [
  ['members:read', 'read members and the directory'],
  ['members:write', 'add members and change their records'],
  ['ledger:read', 'read accounts, statements and transfers'],
  ['ledger:write', 'record transfers and resolve pending ones'],
  ['listings:write', 'create and change offers and requests'],
  ['reports:read', 'read the mutuality reports'],
  ['events:read', 'read the event feed'],
  ['webhooks:write', 'subscribe endpoints to events'],
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
      <h1>Partner apps</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {secret && <SecretOnce {...secret} onDone={() => setSecret(null)} />}
      {clients === null ? (
        <p aria-busy="true">Loading…</p>
      ) : clients.length === 0 ? (
        <p>No partner app is registered.</p>
      ) : (
        <ul class="items" aria-label="Partner apps">
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
      () => setCopied('Copied.'),
      () => setCopied('Copying is not allowed here: select the secret and copy it.'),
    );
  return (
    <section class="card secret" role="alert" aria-labelledby="secret-heading">
      <h2 id="secret-heading">Copy the secret of {name} now</h2>
      <p>It is shown only this once: the service keeps only a hash of it. Give it to the partner app with its client id.</p>
      <dl class="facts">
        <div>
          <dt>Client id</dt>
          <dd>
            <code data-testid="client-id">{id}</code>
          </dd>
        </div>
        <div>
          <dt>Secret</dt>
          <dd>
            <code data-testid="client-secret">{secret}</code>
          </dd>
        </div>
      </dl>
      <p class="actions">
        <button type="button" onClick={copy}>
          Copy the secret
        </button>
        <button type="button" class="secondary" onClick={onDone}>
          I have stored it
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
    if (!window.confirm(`Revoke ${client.name}? Its tokens stop working at once, and it cannot be brought back.`)) return;
    void run(async () => {
      await call(session.token, path, { method: 'DELETE' });
      onChanged();
      return `${client.name} is revoked.`;
    });
  };
  const rotate = (event: Event) => {
    event.preventDefault();
    const seconds = Number(grace || '0');
    const question = seconds > 0 ? `Make a new secret for ${client.name}? The old one keeps working for ${seconds} seconds.` : `Make a new secret for ${client.name}? The old one stops working at once.`;
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
          {' '}
          · registered {date(client.createdAt)} · last used {date(client.lastUsedAt)}
          {client.previousSecretExpiresAt ? ` · old secret works until ${new Date(client.previousSecretExpiresAt).toLocaleString()}` : ''}
        </span>
        {client.revokedAt && <strong data-testid="client-revoked"> · revoked {date(client.revokedAt)}</strong>}
      </span>
      {!client.revokedAt && (
        <form class="actions" onSubmit={rotate} noValidate aria-label={`Secret of ${client.name}`}>
          <label for={`grace-${client.id}`} class="inline">
            Old secret keeps working for (seconds)
          </label>
          <input id={`grace-${client.id}`} class="short" type="number" min="0" max="86400" value={grace} onInput={(event) => setGrace(event.currentTarget.value)} />
          <button type="submit" class="secondary" disabled={busy}>
            New secret
          </button>
          <button type="button" class="secondary" disabled={busy} onClick={revoke}>
            Revoke {client.name}
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
      <h2 id="new-client-heading">Register a partner app</h2>
      <form onSubmit={submit} noValidate>
        <Field id="client-name" label="Name" field="name" failure={failure} value={name} onInput={setName} />
        <fieldset>
          <legend>What it may do</legend>
          {SCOPES.map(([scope, meaning]) => (
            <div key={scope}>
              <label class="inline">
                <input type="checkbox" name="scopes" value={scope} checked={scopes.includes(scope)} onChange={(event) => toggle(scope, event.currentTarget.checked)} /> {scope}: {meaning}
              </label>
            </div>
          ))}
        </fieldset>
        <FieldMessage failure={failure} field="scopes" />
        <FailureMessage failure={failure} />
        <button type="submit" disabled={busy}>
          Register the app
        </button>
      </form>
    </section>
  );
}
