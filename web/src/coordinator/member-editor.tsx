import { useEffect, useState } from 'preact/hooks';
import { call, json, onFailure, type Session } from '../api.js';
import { duration, signed } from '../format.js';
import { FailureMessage } from '../forms.js';
import { t } from '../i18n.js';
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
  if (!member) return <p class="editor" aria-busy="true">
      {t('coordinator.loading')}
    </p>;
  const props = { session, member, onUpdated: updated, onExpired };
  return (
    <div class="editor" role="group" aria-label={t('coordinator.manage', { name: member.displayName })}>
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
      if (entries.length === 0) return t('coordinator.nothingToSave');
      onUpdated(await patchMember(session, member, Object.fromEntries(entries)));
      return t('coordinator.saved');
    });
  };
  const id = (field: string) => `edit-${field}-${member.id}`;
  return (
    <form onSubmit={submit} noValidate aria-label={t('coordinator.record')}>
      <h3>{t('coordinator.record')}</h3>
      <Field id={id('name')} label={t('coordinator.name')} field="displayName" failure={failure} value={displayName} onInput={setDisplayName} />
      <Field id={id('email')} label={t('coordinator.email')} field="email" type="email" failure={failure} value={email} onInput={setEmail} />
      <div class="row">
        <div>
          <Choice id={id('kind')} label={t('coordinator.kind')} field="kind" failure={failure} value={kind} onChange={setKind}>
            <option value="person">{t('coordinator.person')}</option>
            <option value="organisation">{t('coordinator.organisation')}</option>
          </Choice>
        </div>
        <div>
          <Choice id={id('role')} label={t('coordinator.roleLabel')} field="role" failure={failure} value={role} onChange={setRole}>
            <option value="member">{t('coordinator.member')}</option>
            <option value="coordinator">{t('coordinator.coordinator')}</option>
          </Choice>
        </div>
      </div>
      <FailureMessage failure={failure} />
      <Done message={done} />
      <button type="submit" disabled={busy}>
        {t('coordinator.saveRecord')}
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
      return t(status === 'active' ? 'coordinator.reactivated' : status === 'suspended' ? 'coordinator.nowSuspended' : 'coordinator.nowLeft', { name: member.displayName });
    });
  };
  const endSessions = () =>
    run(async () => {
      await call(session.token, `${baseOf(session)}/members/${member.id}/sessions/revoke`, { method: 'POST' });
      return t('coordinator.sessionsEnded', { name: member.displayName });
    });
  return (
    <section aria-label={t('coordinator.statusPart')}>
      <h3>{t('coordinator.statusNow', { status: t('coordinator.status', { status: member.status }) })}</h3>
      <FailureMessage failure={failure} />
      <Done message={done} />
      <p class="actions">
        {member.status === 'active' ? (
          <button type="button" disabled={busy} onClick={() => change('suspended', t('coordinator.suspendQuestion', { name: member.displayName }))}>
            {t('coordinator.suspend')}
          </button>
        ) : (
          <button type="button" disabled={busy} onClick={() => change('active', null)}>
            {t('coordinator.reactivate')}
          </button>
        )}
        {member.status !== 'left' && (
          <button type="button" class="secondary" disabled={busy} onClick={() => change('left', t('coordinator.leftQuestion', { name: member.displayName }))}>
            {t('coordinator.markLeft')}
          </button>
        )}
        <button type="button" class="secondary" disabled={busy} onClick={endSessions}>
          {t('coordinator.logoutEverywhere')}
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
      return t('coordinator.resetDone', { name: member.displayName });
    });
  };
  return (
    <form onSubmit={submit} noValidate aria-label={t('coordinator.reset')}>
      <h3>{t('coordinator.reset')}</h3>
      <Field id={`reset-password-${member.id}`} label={t('coordinator.newPassword')} field="password" type="password" failure={failure} value={password} onInput={setPassword} hint={t('coordinator.newPasswordHint')} autocomplete="new-password" />
      <FailureMessage failure={failure} />
      <Done message={done} />
      <button type="submit" disabled={busy}>
        {t('coordinator.reset')}
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
      return t('coordinator.limitsSaved', { name: member.displayName, floor: signed(Number(floor)), cap: signed(Number(cap)) });
    });
  };
  const id = (field: string) => `${field}-${member.accountId}`;
  return (
    <form onSubmit={submit} noValidate aria-label={t('coordinator.limits')}>
      <h3>{t('coordinator.limits')}</h3>
      {account && (
        <p data-testid="account-figures" data-balance={account.balanceMinutes}>
          {t('coordinator.figures', { balance: signed(account.balanceMinutes), available: duration(account.availableMinutes) })}
        </p>
      )}
      <div class="row">
        <div>
          <Field id={id('floor')} label={t('coordinator.floor')} field="minBalanceMinutes" type="number" failure={failure} value={floor} onInput={setFloor} hint={t('coordinator.floorHint')} />
        </div>
        <div>
          <Field id={id('cap')} label={t('coordinator.cap')} field="maxBalanceMinutes" type="number" failure={failure} value={cap} onInput={setCap} hint={t('coordinator.capHint')} />
        </div>
      </div>
      <FailureMessage failure={failure} />
      <Done message={done} />
      <button type="submit" disabled={busy}>
        {t('coordinator.saveLimits')}
      </button>
    </form>
  );
}
