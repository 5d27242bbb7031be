import { useEffect, useState } from 'preact/hooks';
import { json, onFailure, type Page } from '../api.js';
import { date } from '../format.js';
import { FailureMessage } from '../forms.js';
import { t } from '../i18n.js';
import type { PageProps } from '../pages.js';
import { baseOf, Choice, Done, Field, useAction, type MemberRecord } from './common.js';
import { MemberEditor } from './member-editor.js';

/*
 * The coordinator's members: find them by name or email, add one, and open one to change its
 * record, status, password or account limits.
 */

export function MembersPage({ session, onExpired }: PageProps) {
  const [q, setQ] = useState('');
  const [status, setStatus] = useState('');
  const [found, setFound] = useState<MemberRecord[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const fail = onFailure(onExpired, setError);
  const query = (after: string | null) => {
    const params = new URLSearchParams({ limit: '50' });
    if (q.trim()) params.set('q', q.trim());
    if (status) params.set('status', status);
    if (after) params.set('cursor', after);
    return `${baseOf(session)}/members?${params.toString()}`;
  };
  const search = () => {
    setError(null);
    json<Page<MemberRecord>>(session.token, query(null))
      .then((page) => {
        setFound(page.items);
        setCursor(page.nextCursor);
      })
      .catch(fail);
  };
  const more = () =>
    json<Page<MemberRecord>>(session.token, query(cursor))
      .then((page) => {
        setFound((shown) => [...(shown ?? []), ...page.items]);
        setCursor(page.nextCursor);
      })
      .catch(fail);
  useEffect(search, [status, version]);
  const changed = () => setVersion((value) => value + 1);

  return (
    <main class="wide">
      <h1>{t('app.page.members')}</h1>
      <form
        role="search"
        class="title-row"
        onSubmit={(event) => {
          event.preventDefault();
          search();
        }}
      >
        <div>
          <label for="member-search">{t('coordinator.find')}</label>
          <input id="member-search" type="search" value={q} onInput={(event) => setQ(event.currentTarget.value)} />
        </div>
        <div>
          <label for="member-status">{t('coordinator.statusFilter')}</label>
          <select id="member-status" value={status} onChange={(event) => setStatus(event.currentTarget.value)}>
            <option value="">{t('coordinator.any')}</option>
            <option value="active">{t('coordinator.active')}</option>
            <option value="suspended">{t('coordinator.suspended')}</option>
            <option value="left">{t('coordinator.left')}</option>
          </select>
        </div>
        <button type="submit">{t('coordinator.search')}</button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {found === null ? (
        <p aria-busy="true">{t('coordinator.loadingMembers')}</p>
      ) : found.length === 0 ? (
        <p>{t('coordinator.noMatch')}</p>
      ) : (
        <ul class="items" aria-label={t('coordinator.found')}>
          {found.map((member) => (
            <li key={member.id} data-testid="member-row" data-member={member.id}>
              <span>
                <strong>{member.displayName}</strong> · {member.email} · {t('coordinator.role', { role: member.role })} · <span data-testid="member-status">{t('coordinator.status', { status: member.status })}</span>
                <span class="hint">{t('coordinator.since', { date: date(member.createdAt) })}</span>
              </span>
              <span class="actions">
                <button type="button" class="secondary" aria-expanded={open === member.id} onClick={() => setOpen(open === member.id ? null : member.id)}>
                  {open === member.id ? t('coordinator.close') : t('coordinator.manage', { name: member.displayName })}
                </button>
              </span>
              {open === member.id && <MemberEditor session={session} memberId={member.id} onChanged={changed} onExpired={onExpired} />}
            </li>
          ))}
        </ul>
      )}
      {cursor && (
        <button type="button" class="secondary" onClick={more}>
          {t('coordinator.more')}
        </button>
      )}
      <AddMember session={session} onExpired={onExpired} onAdded={changed} />
    </main>
  );
}

function AddMember({ session, onExpired, onAdded }: PageProps & { onAdded: () => void }) {
  const [displayName, setDisplayName] = useState('');
  const [email, setEmail] = useState('');
  const [kind, setKind] = useState('person');
  const [role, setRole] = useState('member');
  const [password, setPassword] = useState('');
  const { failure, done, busy, run } = useAction(onExpired);
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const body = { displayName, email, kind, role, ...(password ? { password } : {}) };
      const member = await json<MemberRecord>(session.token, `${baseOf(session)}/members`, { method: 'POST', body });
      setDisplayName('');
      setEmail('');
      setPassword('');
      onAdded();
      return t(password ? 'coordinator.added' : 'coordinator.addedNoPassword', { name: member.displayName, email: member.email });
    });
  };
  return (
    <section class="card" aria-labelledby="add-member-heading">
      <h2 id="add-member-heading">{t('coordinator.add.title')}</h2>
      {/* The service checks every field: its words appear beside the field. */}
      <form onSubmit={submit} noValidate>
        <Field id="new-name" label={t('coordinator.name')} field="displayName" failure={failure} value={displayName} onInput={setDisplayName} autocomplete="off" />
        <Field id="new-email" label={t('coordinator.email')} field="email" type="email" failure={failure} value={email} onInput={setEmail} autocomplete="off" />
        <div class="row">
          <div>
            <Choice id="new-kind" label={t('coordinator.kind')} field="kind" failure={failure} value={kind} onChange={setKind}>
              <option value="person">{t('coordinator.person')}</option>
              <option value="organisation">{t('coordinator.organisation')}</option>
            </Choice>
          </div>
          <div>
            <Choice id="new-role" label={t('coordinator.roleLabel')} field="role" failure={failure} value={role} onChange={setRole}>
              <option value="member">{t('coordinator.member')}</option>
              <option value="coordinator">{t('coordinator.coordinator')}</option>
            </Choice>
          </div>
        </div>
        <Field id="new-password" label={t('coordinator.password')} field="password" type="password" failure={failure} value={password} onInput={setPassword} hint={t('coordinator.passwordHint')} autocomplete="new-password" />
        <FailureMessage failure={failure} />
        <Done message={done} />
        <button type="submit" disabled={busy}>
          {t('coordinator.add.submit')}
        </button>
      </form>
    </section>
  );
}
