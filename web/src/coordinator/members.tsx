import { useEffect, useState } from 'preact/hooks';
import { json, onFailure, type Page } from '../api.js';
import { date } from '../format.js';
import { FailureMessage } from '../forms.js';
import type { PageProps } from '../pages.js';
import { baseOf, Choice, Done, Field, useAction, type MemberRecord } from './common.js';
import { MemberEditor } from './member-editor.js';

/*
 * The coordinator's members: find them by name or email, add one, and open one to change its
 * record, status, password or account limits.
 */

const STATUS_WORDS: Record<MemberRecord['status'], string> = { active: 'active', suspended: 'suspended', left: 'left' };

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
      <h1>Members</h1>
      <form
        role="search"
        class="title-row"
        onSubmit={(event) => {
          event.preventDefault();
          search();
        }}
      >
        <div>
          <label for="member-search">Find by name or email</label>
          <input id="member-search" type="search" value={q} onInput={(event) => setQ(event.currentTarget.value)} />
        </div>
        <div>
          <label for="member-status">Status</label>
          <select id="member-status" value={status} onChange={(event) => setStatus(event.currentTarget.value)}>
            <option value="">Any</option>
            <option value="active">Active</option>
            <option value="suspended">Suspended</option>
            <option value="left">Left</option>
          </select>
        </div>
        <button type="submit">Search</button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {found === null ? (
        <p aria-busy="true">Loading the members…</p>
      ) : found.length === 0 ? (
        <p>No member matches.</p>
      ) : (
        <ul class="items" aria-label="Members found">
          {found.map((member) => (
            <li key={member.id} data-testid="member-row" data-member={member.id}>
              <span>
                <strong>{member.displayName}</strong> · {member.email} · {member.role} · <span data-testid="member-status">{STATUS_WORDS[member.status]}</span>
                <span class="hint"> · since {date(member.createdAt)}</span>
              </span>
              <span class="actions">
                <button type="button" class="secondary" aria-expanded={open === member.id} onClick={() => setOpen(open === member.id ? null : member.id)}>
                  {open === member.id ? 'Close' : `Manage ${member.displayName}`}
                </button>
              </span>
              {open === member.id && <MemberEditor session={session} memberId={member.id} onChanged={changed} onExpired={onExpired} />}
            </li>
          ))}
        </ul>
      )}
      {cursor && (
        <button type="button" class="secondary" onClick={more}>
          More members
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
      return `Added ${member.displayName} (${member.email}).${password ? ' They can log in with the password you set.' : ' They cannot log in until a password is set.'}`;
    });
  };
  return (
    <section class="card" aria-labelledby="add-member-heading">
      <h2 id="add-member-heading">Add a member</h2>
      {/* The service checks every field: its words appear beside the field. */}
      <form onSubmit={submit} noValidate>
        <Field id="new-name" label="Name" field="displayName" failure={failure} value={displayName} onInput={setDisplayName} autocomplete="off" />
        <Field id="new-email" label="Email" field="email" type="email" failure={failure} value={email} onInput={setEmail} autocomplete="off" />
        <div class="row">
          <div>
            <Choice id="new-kind" label="Kind" field="kind" failure={failure} value={kind} onChange={setKind}>
              <option value="person">Person</option>
              <option value="organisation">Organisation</option>
            </Choice>
          </div>
          <div>
            <Choice id="new-role" label="Role" field="role" failure={failure} value={role} onChange={setRole}>
              <option value="member">Member</option>
              <option value="coordinator">Coordinator</option>
            </Choice>
          </div>
        </div>
        <Field id="new-password" label="Password (optional)" field="password" type="password" failure={failure} value={password} onInput={setPassword} hint="At least 10 characters. Give it to the member in person; they can change it later." autocomplete="new-password" />
        <FailureMessage failure={failure} />
        <Done message={done} />
        <button type="submit" disabled={busy}>
          Add the member
        </button>
      </form>
    </section>
  );
}
