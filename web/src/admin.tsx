import { useEffect, useState } from 'preact/hooks';
import { allPages, json, onFailure, type Session } from './api.js';
import { FailureMessage, FieldMessage, messageId } from './forms.js';
import { t } from './i18n.js';

/*
 * The platform admin's page: the time banks of this service, a new one, and a coordinator for
 * any of them (each time bank's first coordinator comes from here or from the first-run setup).
 */

type Timebank = { id: string; name: string; slug: string; createdAt: string };

function TextField(props: { id: string; field: string; label: string; type?: string; value: string; set: (value: string) => void; failure: unknown; required?: boolean }) {
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <input id={props.id} type={props.type ?? 'text'} required={props.required ?? true} value={props.value} aria-describedby={messageId(props.field)} onInput={(event) => props.set(event.currentTarget.value)} />
      <FieldMessage failure={props.failure} field={props.field} />
    </>
  );
}

function NewTimebank({ session, onCreated }: { session: Session; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [failure, setFailure] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setFailure(null);
    setDone(null);
    try {
      const created = await json<Timebank>(session.token, '/v1/timebanks', { method: 'POST', body: { name, ...(slug.trim() ? { slug: slug.trim() } : {}) } });
      setDone(t('admin.new.done', { name: created.name, slug: created.slug }));
      setName('');
      setSlug('');
      onCreated();
    } catch (caught) {
      setFailure(caught);
    }
  };
  return (
    <form class="card" onSubmit={submit}>
      <h2>{t('admin.new.title')}</h2>
      <FailureMessage failure={failure} />
      <TextField id="new-timebank-name" field="name" label={t('admin.new.name')} value={name} set={setName} failure={failure} />
      <TextField id="new-timebank-slug" field="slug" label={t('admin.slug')} value={slug} set={setSlug} failure={failure} required={false} />
      {done && (
        <p class="ok" role="status">
          {done}
        </p>
      )}
      <button type="submit">{t('admin.new.submit')}</button>
    </form>
  );
}

function AddCoordinator({ session, timebank }: { session: Session; timebank: Timebank }) {
  const [displayName, setDisplayName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [failure, setFailure] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const prefix = `coordinator-${timebank.slug}`;
  const submit = async (event: Event) => {
    event.preventDefault();
    setFailure(null);
    setDone(null);
    try {
      const body = { displayName, email, password, role: 'coordinator' };
      const added = await json<{ displayName: string }>(session.token, `/v1/timebanks/${timebank.id}/members`, { method: 'POST', body });
      setDone(t('admin.coordinator.done', { name: added.displayName, timebank: timebank.name, slug: timebank.slug }));
      setDisplayName('');
      setEmail('');
      setPassword('');
    } catch (caught) {
      setFailure(caught);
    }
  };
  return (
    <form onSubmit={submit} aria-label={t('admin.coordinator.form', { timebank: timebank.name })}>
      <FailureMessage failure={failure} />
      <div class="row">
        <div>
          <TextField id={`${prefix}-name`} field="displayName" label={t('admin.coordinator.name')} value={displayName} set={setDisplayName} failure={failure} />
        </div>
        <div>
          <TextField id={`${prefix}-email`} field="email" label={t('admin.coordinator.email')} type="email" value={email} set={setEmail} failure={failure} />
        </div>
      </div>
      <TextField id={`${prefix}-password`} field="password" label={t('admin.coordinator.password')} type="password" value={password} set={setPassword} failure={failure} />
      {done && (
        <p class="ok" role="status">
          {done}
        </p>
      )}
      <button type="submit" class="secondary">
        {t('admin.coordinator.submit')}
      </button>
    </form>
  );
}

export function AdminHome({ session, onExpired }: { session: Session; onExpired: () => void }) {
  const [timebanks, setTimebanks] = useState<Timebank[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    allPages<Timebank>(session.token, '/v1/timebanks').then(setTimebanks, onFailure(onExpired, setError));
  }, [version]);
  return (
    <main>
      <h1>{t('admin.title')}</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {timebanks?.length === 0 && <p>{t('admin.none')}</p>}
      <ul class="items">
        {timebanks?.map((timebank) => (
          <li key={timebank.id} data-testid="admin-timebank">
            <details>
              <summary>
                {timebank.name} <span class="hint">({timebank.slug})</span>
              </summary>
              <AddCoordinator session={session} timebank={timebank} />
            </details>
          </li>
        ))}
      </ul>
      <NewTimebank session={session} onCreated={() => setVersion((value) => value + 1)} />
    </main>
  );
}
