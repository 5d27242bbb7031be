import { useEffect, useState } from 'preact/hooks';
import { call, json, onFailure, type Session } from '../api.js';
import { duration, signed } from '../format.js';
import { FailureMessage } from '../forms.js';
import { baseOf, Choice, Done, Field, useAction, type MemberRecord } from './common.js';

/*
 * One member, opened from the members list: its record, its status (suspend, reactivate, left),
 * a password reset, its sessions, and its account's limits. Each part is its own form, sent
 * alone, with its own outcome.
 */

type Account = { id: string; balanceMinutes: number; availableMinutes: number; minBalanceMinutes: number; maxBalanceMinutes: number };
type Props = { session: Session; memberId: string; onChanged: () => void; onExpired: () => void };

export function MemberEditor({ session, memberId, onChanged, onExpired }: Props) {
  const [member, setMember] = useState<MemberRecord | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    json<MemberRecord>(session.token, `${baseOf(session)}/members/${memberId}`).then(setMember).catch(onFailure(onExpired, setError));
  }, [memberId]);
  const updated = (next: MemberRecord) => {
    setMember(next);
    onChanged();
  };
  if (error) return <p class="error editor" role="alert">{error}</p>;
  if (!member) return <p class="editor" aria-busy="true">Loading…</p>;
  const props = { session, member, onUpdated: updated, onExpired };
  return (
    <div class="editor" role="group" aria-label={`Manage ${member.displayName}`}>
      <Details {...props} />
      <Status {...props} />
      <PasswordReset {...props} />
      <Limits session={session} member={member} onExpired={onExpired} />
    </div>
  );
}

type PartProps = { session: Session; member: MemberRecord; onUpdated: (member: MemberRecord) => void; onExpired: () => void };

const patchMember = (session: Session, member: MemberRecord, body: Record<string, unknown>) =>
  json<MemberRecord>(session.token, `${baseOf(session)}/members/${member.id}`, { method: 'PATCH', body });

function Details({ session, member, onUpdated, onExpired }: PartProps) {
  const [displayName, setDisplayName] = useState(member.displayName);
  const [email, setEmail] = useState(member.email);
  const [kind, setKind] = useState<string>(member.kind);
  const [role, setRole] = useState<string>(member.role);
  const { failure, done, busy, run } = useAction(onExpired);
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      // Only what changed: a role change ends the member's sessions, a rename should not.
      const entries = Object.entries({ displayName, email, kind, role }).filter(([field, value]) => value !== member[field as keyof MemberRecord]);
      if (entries.length === 0) return 'Nothing to save.';
      onUpdated(await patchMember(session, member, Object.fromEntries(entries)));
      return 'Saved.';
    });
  };
  const id = (field: string) => `edit-${field}-${member.id}`;
  return (
    <form onSubmit={submit} noValidate aria-label="Record">
      <h3>Record</h3>
      <Field id={id('name')} label="Name" field="displayName" failure={failure} value={displayName} onInput={setDisplayName} />
      <Field id={id('email')} label="Email" field="email" type="email" failure={failure} value={email} onInput={setEmail} />
      <div class="row">
        <div>
          <Choice id={id('kind')} label="Kind" field="kind" failure={failure} value={kind} onChange={setKind}>
            <option value="person">Person</option>
            <option value="organisation">Organisation</option>
          </Choice>
        </div>
        <div>
          <Choice id={id('role')} label="Role" field="role" failure={failure} value={role} onChange={setRole}>
            <option value="member">Member</option>
            <option value="coordinator">Coordinator</option>
          </Choice>
        </div>
      </div>
      <FailureMessage failure={failure} />
      <Done message={done} />
      <button type="submit" disabled={busy}>
        Save the record
      </button>
    </form>
  );
}

function Status({ session, member, onUpdated, onExpired }: PartProps) {
  const { failure, done, busy, run } = useAction(onExpired);
  const change = (status: MemberRecord['status'], question: string | null) => {
    // Suspending or marking as left ends the member's sessions at once: asked first.
    if (question && !window.confirm(question)) return;
    void run(async () => {
      onUpdated(await patchMember(session, member, { status }));
      return status === 'active' ? `${member.displayName} is active again and can log in.` : `${member.displayName} is now ${status}: their sessions have ended.`;
    });
  };
  const endSessions = () =>
    run(async () => {
      await call(session.token, `${baseOf(session)}/members/${member.id}/sessions/revoke`, { method: 'POST' });
      return `Every session of ${member.displayName} has ended.`;
    });
  return (
    <section aria-label="Status">
      <h3>Status: {member.status}</h3>
      <FailureMessage failure={failure} />
      <Done message={done} />
      <p class="actions">
        {member.status === 'active' ? (
          <button type="button" disabled={busy} onClick={() => change('suspended', `Suspend ${member.displayName}? They are logged out at once and cannot exchange time until reactivated.`)}>
            Suspend
          </button>
        ) : (
          <button type="button" disabled={busy} onClick={() => change('active', null)}>
            Reactivate
          </button>
        )}
        {member.status !== 'left' && (
          <button type="button" class="secondary" disabled={busy} onClick={() => change('left', `Mark ${member.displayName} as having left the time bank? They are logged out and cannot exchange time; their history stays.`)}>
            Mark as left
          </button>
        )}
        <button type="button" class="secondary" disabled={busy} onClick={endSessions}>
          Log out everywhere
        </button>
      </p>
    </section>
  );
}

function PasswordReset({ session, member, onUpdated, onExpired }: PartProps) {
  const [password, setPassword] = useState('');
  const { failure, done, busy, run } = useAction(onExpired);
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      onUpdated(await patchMember(session, member, { password }));
      setPassword('');
      return `Password reset: give it to ${member.displayName}. Their other sessions have ended.`;
    });
  };
  return (
    <form onSubmit={submit} noValidate aria-label="Reset the password">
      <h3>Reset the password</h3>
      <Field id={`reset-password-${member.id}`} label="New password" field="password" type="password" failure={failure} value={password} onInput={setPassword} hint="At least 10 characters." autocomplete="new-password" />
      <FailureMessage failure={failure} />
      <Done message={done} />
      <button type="submit" disabled={busy}>
        Reset the password
      </button>
    </form>
  );
}

/** The account's floor and cap, in minutes as the API has them, with the balance they bound. */
export function Limits({ session, member, onExpired }: { session: Session; member: Pick<MemberRecord, 'accountId' | 'displayName'>; onExpired: () => void }) {
  const path = `${baseOf(session)}/accounts/${member.accountId}`;
  const [account, setAccount] = useState<Account | null>(null);
  const [floor, setFloor] = useState('');
  const [cap, setCap] = useState('');
  const { failure, done, busy, run } = useAction(onExpired);
  const show = (found: Account) => {
    setAccount(found);
    setFloor(String(found.minBalanceMinutes));
    setCap(String(found.maxBalanceMinutes));
  };
  useEffect(() => {
    void run(async () => show(await json<Account>(session.token, path)));
  }, [member.accountId]);
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      // Numbers as typed: the API says what it makes of anything else.
      const body = { minBalanceMinutes: floor.trim() === '' ? floor : Number(floor), maxBalanceMinutes: cap.trim() === '' ? cap : Number(cap) };
      show(await json<Account>(session.token, path, { method: 'PATCH', body }));
      return `Limits saved: ${member.displayName} may go down to ${signed(Number(floor))} and up to ${signed(Number(cap))}.`;
    });
  };
  const id = (field: string) => `${field}-${member.accountId}`;
  return (
    <form onSubmit={submit} noValidate aria-label="Account limits">
      <h3>Account limits</h3>
      {account && (
        <p data-testid="account-figures" data-balance={account.balanceMinutes}>
          Balance {signed(account.balanceMinutes)}; can still spend {duration(account.availableMinutes)}.
        </p>
      )}
      <div class="row">
        <div>
          <Field id={id('floor')} label="Floor, in minutes" field="minBalanceMinutes" type="number" failure={failure} value={floor} onInput={setFloor} hint="0 or below: how far the balance may go below zero." />
        </div>
        <div>
          <Field id={id('cap')} label="Cap, in minutes" field="maxBalanceMinutes" type="number" failure={failure} value={cap} onInput={setCap} hint="0 or above: how much the balance may hold." />
        </div>
      </div>
      <FailureMessage failure={failure} />
      <Done message={done} />
      <button type="submit" disabled={busy}>
        Save the limits
      </button>
    </form>
  );
}
