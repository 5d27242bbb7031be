import { useEffect, useState } from 'preact/hooks';
import { allPages, json, onFailure } from '../api.js';
import { date, duration } from '../format.js';
import { FailureMessage } from '../forms.js';
import { t } from '../i18n.js';
import type { PageProps } from '../pages.js';
import { rich } from '../rich.js';
import { baseOf, Done, useAccounts, useAction, useIdempotencyKey } from './common.js';

/*
 * Everything waiting for a confirmation in the timebank, whoever it waits on: a coordinator may
 * confirm or reject on a member's behalf (when the member asked by phone, say), and claims on
 * the community pot wait for a coordinator anyway.
 */

export type Transfer = {
  id: string;
  payerAccountId: string;
  payeeAccountId: string;
  minutes: number;
  status: 'pending' | 'posted' | 'rejected' | 'expired';
  description: string | null;
  brokered: boolean;
  createdAt: string;
  postedAt: string | null;
  autoConfirmAt: string | null;
  reversesTransferId: string | null;
  reversedByTransferId: string | null;
  reason: string | null;
};

export function PendingPage({ session, onExpired }: PageProps) {
  const [pending, setPending] = useState<Transfer[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const fail = onFailure(onExpired, setError);
  const { nameOf } = useAccounts(session, fail);
  const { failure, done, busy, run } = useAction(onExpired);
  const idempotency = useIdempotencyKey();
  useEffect(() => {
    allPages<Transfer>(session.token, `${baseOf(session)}/transfers?status=pending`)
      .then((found) => setPending(found))
      .catch(fail);
  }, [version]);

  const resolve = (transfer: Transfer, action: 'confirm' | 'reject') => {
    const words = t('ledger.between', { time: duration(transfer.minutes), payer: nameOf(transfer.payerAccountId), payee: nameOf(transfer.payeeAccountId) });
    // A rejection is final: the hours would have to be recorded again.
    if (action === 'reject' && !window.confirm(t('ledger.rejectQuestion', { words }))) return;
    void run(async () => {
      const intent = { transferId: transfer.id, action };
      try {
        await json(session.token, `${baseOf(session)}/transfers/${transfer.id}/${action}`, { method: 'POST', idempotencyKey: idempotency.keyFor(intent) });
        idempotency.settle();
      } catch (caught) {
        idempotency.settle(caught);
        throw caught;
      } finally {
        setVersion((value) => value + 1);
      }
      return t(action === 'confirm' ? 'ledger.confirmed' : 'ledger.rejected', { words });
    });
  };

  return (
    <main>
      <h1>{t('ledger.pending.title')}</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <FailureMessage failure={failure} />
      <Done message={done} />
      {pending === null ? (
        <p aria-busy="true">{t('ledger.loading')}</p>
      ) : pending.length === 0 ? (
        <p>{t('ledger.pending.none')}</p>
      ) : (
        <ul class="items" aria-label={t('ledger.pending.title')}>
          {pending.map((transfer) => (
            <li key={transfer.id} data-testid="pending-transfer" data-transfer={transfer.id}>
              <span>
                {rich('ledger.gave', { payee: <strong>{nameOf(transfer.payeeAccountId)}</strong>, time: <strong>{duration(transfer.minutes)}</strong>, payer: <strong>{nameOf(transfer.payerAccountId)}</strong> })}
                {transfer.description ? ` (${transfer.description})` : ''}
                <span class="hint">
                  {' · '}
                  {transfer.brokered ? t('ledger.recordedBy', { date: date(transfer.createdAt) }) : t('ledger.claimedBy', { name: nameOf(transfer.payeeAccountId), date: date(transfer.createdAt) })}
                  {' · '}
                  {transfer.autoConfirmAt ? t('ledger.deadline', { date: date(transfer.autoConfirmAt) }) : t('ledger.noDeadline')}
                </span>
              </span>
              <span class="actions">
                <button type="button" disabled={busy} onClick={() => resolve(transfer, 'confirm')}>
                  {t('ledger.confirmFor', { name: nameOf(transfer.payerAccountId) })}
                </button>
                <button type="button" class="secondary" disabled={busy} onClick={() => resolve(transfer, 'reject')}>
                  {t('ledger.reject')}
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
