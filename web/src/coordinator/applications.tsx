import { useEffect, useState } from 'preact/hooks';
import { allPages, json, onFailure } from '../api.js';
import { date } from '../format.js';
import { FailureMessage } from '../forms.js';
import { t } from '../i18n.js';
import type { PageProps } from '../pages.js';
import { baseOf, Choice, Done, useAction, useIdempotencyKey } from './common.js';

/*
 * Who may join the time bank, and the applications waiting for a coordinator: approve one (the
 * applicant becomes a member, with the password it chose) or decline it, after a second step
 * that takes an optional reason. An application whose email a member has already is flagged,
 * and cannot be approved.
 */

type JoinPolicy = 'closed' | 'application' | 'open';
type Timebank = { slug: string; settings: { joinPolicy: JoinPolicy } };

export type Application = {
  id: string;
  displayName: string;
  email: string;
  about: string;
  status: 'open' | 'approved' | 'declined';
  duplicateOfMemberId: string | null;
  createdAt: string;
};

export function ApplicationsPage({ session, onExpired }: PageProps) {
  return (
    <main>
      <h1>{t('applications.title')}</h1>
      <JoinPolicyCard session={session} onExpired={onExpired} />
      <Queue session={session} onExpired={onExpired} />
    </main>
  );
}

function JoinPolicyCard({ session, onExpired }: PageProps) {
  const [timebank, setTimebank] = useState<Timebank | null>(null);
  const [policy, setPolicy] = useState<JoinPolicy>('closed');
  const [error, setError] = useState<string | null>(null);
  const { failure, done, busy, run } = useAction(onExpired);
  const show = (found: Timebank) => {
    setTimebank(found);
    setPolicy(found.settings.joinPolicy);
  };
  useEffect(() => {
    json<Timebank>(session.token, baseOf(session)).then(show).catch(onFailure(onExpired, setError));
  }, []);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (!timebank) return null;
  const save = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      show(await json<Timebank>(session.token, baseOf(session), { method: 'PATCH', body: { settings: { joinPolicy: policy } } }));
      return t('applications.policy.saved');
    });
  };
  const joinUrl = `${location.origin}/app/?timebank=${encodeURIComponent(timebank.slug)}#/join`;
  return (
    <section class="card" aria-labelledby="join-policy-heading">
      <h2 id="join-policy-heading">{t('applications.policy.title')}</h2>
      <form onSubmit={save}>
        <Choice id="join-policy" label={t('applications.policy.label')} field="settings.joinPolicy" failure={failure} value={policy} onChange={(value) => setPolicy(value as JoinPolicy)}>
          <option value="closed">{t('applications.policy.closed')}</option>
          <option value="application">{t('applications.policy.application')}</option>
          <option value="open">{t('applications.policy.open')}</option>
        </Choice>
        <FailureMessage failure={failure} />
        <Done message={done} />
        <button type="submit" disabled={busy}>
          {t('applications.policy.save')}
        </button>
      </form>
      {timebank.settings.joinPolicy !== 'closed' && (
        <p class="hint">
          {t('applications.policy.linkLabel')} <a href={joinUrl}>{joinUrl}</a>
        </p>
      )}
    </section>
  );
}

/** The names of the members the flagged applications share an email with. */
function useDuplicateNames(session: PageProps['session'], waiting: Application[] | null): Map<string, string> {
  const [names, setNames] = useState(new Map<string, string>());
  useEffect(() => {
    const ids = [...new Set((waiting ?? []).flatMap((application) => application.duplicateOfMemberId ?? []))].filter((id) => !names.has(id));
    if (ids.length === 0) return;
    Promise.all(ids.map((id) => json<{ id: string; displayName: string }>(session.token, `${baseOf(session)}/members/${id}`).catch(() => null))).then((found) => {
      setNames((current) => new Map([...current, ...found.flatMap((member) => (member ? [[member.id, member.displayName] as const] : []))]));
    });
  }, [waiting]);
  return names;
}

function Queue({ session, onExpired }: PageProps) {
  const [waiting, setWaiting] = useState<Application[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const [declining, setDeclining] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const { failure, done, busy, run } = useAction(onExpired);
  const idempotency = useIdempotencyKey();
  const names = useDuplicateNames(session, waiting);
  useEffect(() => {
    allPages<Application>(session.token, `${baseOf(session)}/applications?status=open`)
      .then(setWaiting)
      .catch(onFailure(onExpired, setError));
  }, [version]);

  const decide = (application: Application, decision: 'approve' | 'decline') => {
    void run(async () => {
      const body = decision === 'decline' && reason.trim() ? { reason: reason.trim() } : {};
      try {
        const idempotencyKey = idempotency.keyFor({ id: application.id, decision, body });
        await json(session.token, `${baseOf(session)}/applications/${application.id}/${decision}`, { method: 'POST', body, idempotencyKey });
        idempotency.settle();
      } catch (caught) {
        idempotency.settle(caught);
        throw caught;
      } finally {
        setVersion((value) => value + 1);
      }
      setDeclining(null);
      setReason('');
      return decision === 'approve' ? t('applications.approved', { name: application.displayName }) : t('applications.declined', { name: application.displayName });
    });
  };

  return (
    <section aria-labelledby="queue-heading">
      <h2 id="queue-heading">{waiting && waiting.length > 0 ? t('applications.count', { count: waiting.length }) : t('applications.listLabel')}</h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <FailureMessage failure={failure} />
      <Done message={done} />
      {waiting === null ? (
        <p aria-busy="true">{t('applications.loading')}</p>
      ) : waiting.length === 0 ? (
        <p>{t('applications.none')}</p>
      ) : (
        <ul class="items" aria-label={t('applications.listLabel')}>
          {waiting.map((application) => (
            <Item
              key={application.id}
              application={application}
              duplicateName={application.duplicateOfMemberId ? names.get(application.duplicateOfMemberId) : undefined}
              declining={declining === application.id}
              reason={reason}
              setReason={setReason}
              busy={busy}
              onDecline={(start) => {
                setDeclining(start ? application.id : null);
                setReason('');
              }}
              decide={(decision) => decide(application, decision)}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

type ItemProps = {
  application: Application;
  /** The member whose email it has, when flagged and known. */
  duplicateName: string | undefined;
  declining: boolean;
  reason: string;
  setReason: (reason: string) => void;
  busy: boolean;
  /** Opens (true) or closes (false) the second step of a decline. */
  onDecline: (start: boolean) => void;
  decide: (decision: 'approve' | 'decline') => void;
};

/** One application: who, what it wrote, a flag when its email is a member's, and the decision. */
function Item({ application, duplicateName, declining, reason, setReason, busy, onDecline, decide }: ItemProps) {
  const reasonId = `reason-${application.id}`;
  return (
    <li data-testid="application" data-application={application.id}>
      <span class="wide-item">
        <strong>{application.displayName}</strong> · {application.email}
        <span class="hint"> · {t('applications.applied', { date: date(application.createdAt) })}</span>
      </span>
      {application.about && <p class="application-about wide-item">{application.about}</p>}
      {application.duplicateOfMemberId && (
        <p class="error wide-item" data-testid="duplicate">
          {duplicateName ? t('applications.duplicate', { name: duplicateName }) : t('applications.duplicateUnnamed')}
        </p>
      )}
      {declining ? (
        <form
          class="editor wide-item"
          onSubmit={(event) => {
            event.preventDefault();
            decide('decline');
          }}
        >
          <label for={reasonId}>{t('applications.declineReason')}</label>
          <textarea id={reasonId} rows={2} maxLength={2000} value={reason} onInput={(event) => setReason(event.currentTarget.value)} aria-describedby={`${reasonId}-hint`} />
          <p id={`${reasonId}-hint`} class="hint">
            {t('applications.declineHint')}
          </p>
          <span class="actions">
            <button type="submit" disabled={busy}>
              {t('applications.declineConfirm', { name: application.displayName })}
            </button>
            <button type="button" class="secondary" onClick={() => onDecline(false)}>
              {t('applications.cancel')}
            </button>
          </span>
        </form>
      ) : (
        <span class="actions">
          {/* The service refuses to approve an email a member has: no button for it. */}
          {!application.duplicateOfMemberId && (
            <button type="button" disabled={busy} onClick={() => decide('approve')}>
              {t('applications.approve', { name: application.displayName })}
            </button>
          )}
          <button type="button" class="secondary" disabled={busy} onClick={() => onDecline(true)}>
            {t('applications.decline')}
          </button>
        </span>
      )}
    </li>
  );
}
