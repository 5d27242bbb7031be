import { useState } from 'preact/hooks';
import { json, type Session } from '../api.js';
import { duration, durationInWords, signed } from '../format.js';
import { FailureMessage } from '../forms.js';
import { t } from '../i18n.js';
import { baseOf, Done, Field, useAction } from './common.js';

/*
 * One link on the Links page: both sides' states, the balance in words, the limits; accepting the
 * other side's proposal, suspending or making this side active again, changing this side's
 * limits, and asking both ledgers whether they agree.
 */

type Status = 'proposed' | 'active' | 'suspended';
export type Link = {
  id: string;
  peerTimebankId: string;
  peerTimebankName: string;
  /** The other service the peer time bank is in; null when it is in this one. */
  peerUrl: string | null;
  status: Status;
  peerStatus: Status | null;
  proposedByUs: boolean;
  balanceMinutes: number;
  maxOwedByUsMinutes: number;
  maxOwedToUsMinutes: number;
};
type Reconciliation = { localBalanceMinutes: number; peerBalanceMinutes: number | null; agree: boolean };
type Props = { session: Session; onExpired: () => void; link: Link; onChanged: () => void };

/**
 * A limit typed in hours, in whole minutes as the API takes it. Anything but a number of hours,
 * 0 or more, is refused here in words, since the API would speak only of minutes.
 */
export function limitMinutes(hours: string): number {
  const value = Number(hours.trim().replace(',', '.'));
  if (hours.trim() === '' || !Number.isFinite(value) || value < 0) throw new Error(t('links.hoursNumber'));
  return Math.round(value * 60);
}

/** Minutes as the hours field shows them: whole hours, or hours to two decimals. */
const limitHours = (minutes: number) => String(Math.round((minutes / 60) * 100) / 100);

type LimitProps = { prefix: string; failure: unknown; byUs: string; toUs: string; onByUs: (value: string) => void; onToUs: (value: string) => void };

/** The two limits of one side of a link, in hours, with the API's message beside each. */
export function LimitFields({ prefix, failure, byUs, toUs, onByUs, onToUs }: LimitProps) {
  return (
    <div class="row">
      <div>
        <Field id={`${prefix}-by-us`} label={t('links.maxOwedByUs')} field="maxOwedByUsMinutes" type="number" failure={failure} value={byUs} onInput={onByUs} hint={t('links.byUsHint')} />
      </div>
      <div>
        <Field id={`${prefix}-to-us`} label={t('links.maxOwedToUs')} field="maxOwedToUsMinutes" type="number" failure={failure} value={toUs} onInput={onToUs} hint={t('links.toUsHint')} />
      </div>
    </div>
  );
}

/** Who owes whom, in a sentence: a positive clearing balance is what this time bank owes the peer. */
function balanceWords(link: Link): string {
  const values = { peer: link.peerTimebankName, time: durationInWords(link.balanceMinutes) };
  if (link.balanceMinutes > 0) return t('links.owesPeer', values);
  return link.balanceMinutes < 0 ? t('links.peerOwes', values) : t('links.even');
}

const statusWord = (status: Status | null) => t('links.status', { status: status ?? 'unknown' });

export function LinkRow({ session, onExpired, link, onChanged }: Props) {
  const [editing, setEditing] = useState(false);
  const [check, setCheck] = useState<{ agree: boolean; text: string } | null>(null);
  const { failure, done, busy, run } = useAction(onExpired);
  const path = `${baseOf(session)}/links/${link.id}`;
  const peer = link.peerTimebankName;
  const accept = () =>
    run(async () => {
      await json(session.token, `${path}/accept`, { method: 'POST' });
      onChanged();
      return t('links.acceptedDone', { peer });
    });
  const setStatus = (status: 'active' | 'suspended') =>
    run(async () => {
      await json(session.token, path, { method: 'PATCH', body: { status } });
      onChanged();
      return t(status === 'active' ? 'links.activatedDone' : 'links.suspendedDone', { peer });
    });
  const reconcile = () =>
    run(async () => {
      setCheck(null);
      const answer = await json<Reconciliation>(session.token, `${path}/reconcile`);
      const values = { peer, local: signed(answer.localBalanceMinutes), remote: answer.peerBalanceMinutes === null ? '' : signed(answer.peerBalanceMinutes) };
      if (answer.peerBalanceMinutes === null) setCheck({ agree: false, text: t('links.peerUnknown', values) });
      else setCheck({ agree: answer.agree, text: t(answer.agree ? 'links.agree' : 'links.disagree', values) });
    });
  const awaitingUs = link.status === 'proposed' && !link.proposedByUs;
  return (
    <li data-testid="link-row" data-link={link.id}>
      <div class="wide-item">
        <strong>{peer}</strong>
        <span data-testid="link-statuses" data-status={link.status} data-peer-status={link.peerStatus ?? ''}>
          {' · '}
          {t('links.statuses', { ours: statusWord(link.status), peer, theirs: statusWord(link.peerStatus) })}
        </span>
        {link.peerUrl && (
          <p class="hint" data-testid="link-peer-url">
            {t('links.atUrl', { url: link.peerUrl })}
          </p>
        )}
        <p data-testid="link-balance" data-minutes={link.balanceMinutes}>
          {balanceWords(link)}
        </p>
        <p class="hint">{t('links.limits', { peer, byUs: duration(link.maxOwedByUsMinutes), toUs: duration(link.maxOwedToUsMinutes) })}</p>
        {link.status === 'proposed' && <p>{awaitingUs ? t('links.proposedToUs', { peer }) : t('links.waitingForPeer', { peer })}</p>}
      </div>
      <span class="actions" role="group" aria-label={t('links.linkWith', { peer })}>
        {awaitingUs && (
          <button type="button" disabled={busy} onClick={() => void accept()}>
            {t('links.accept')}
          </button>
        )}
        {link.status !== 'proposed' && (
          <button type="button" class="secondary" disabled={busy} onClick={() => void setStatus(link.status === 'active' ? 'suspended' : 'active')}>
            {link.status === 'active' ? t('links.suspend') : t('links.activate')}
          </button>
        )}
        <button type="button" class="secondary" aria-expanded={editing} onClick={() => setEditing(!editing)}>
          {t('links.changeLimits')}
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={() => void reconcile()}>
          {t('links.check')}
        </button>
      </span>
      <div class="editor">
        <FailureMessage failure={failure} />
        <Done message={done} />
        {check && (
          <p class={check.agree ? 'ok' : 'error'} role="status" data-testid="link-check" data-agree={String(check.agree)}>
            {check.text}
          </p>
        )}
        {editing && <LinkLimits session={session} onExpired={onExpired} link={link} onChanged={onChanged} />}
      </div>
    </li>
  );
}

function LinkLimits({ session, onExpired, link, onChanged }: Props) {
  const [byUs, setByUs] = useState(limitHours(link.maxOwedByUsMinutes));
  const [toUs, setToUs] = useState(limitHours(link.maxOwedToUsMinutes));
  const { failure, done, busy, run } = useAction(onExpired);
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const body = { maxOwedByUsMinutes: limitMinutes(byUs), maxOwedToUsMinutes: limitMinutes(toUs) };
      const saved = await json<Link>(session.token, `${baseOf(session)}/links/${link.id}`, { method: 'PATCH', body });
      onChanged();
      return t('links.limitsSaved', { peer: saved.peerTimebankName, byUs: duration(saved.maxOwedByUsMinutes), toUs: duration(saved.maxOwedToUsMinutes) });
    });
  };
  return (
    <form onSubmit={submit} noValidate aria-label={t('links.changeLimits')}>
      <LimitFields prefix={`limits-${link.id}`} failure={failure} byUs={byUs} toUs={toUs} onByUs={setByUs} onToUs={setToUs} />
      <FailureMessage failure={failure} />
      <Done message={done} />
      <button type="submit" disabled={busy}>
        {t('links.saveLimits')}
      </button>
    </form>
  );
}
