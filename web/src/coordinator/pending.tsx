import { useEffect, useState } from 'preact/hooks';
import { allPages, json, onFailure } from '../api.js';
import { date, duration } from '../format.js';
import { FailureMessage } from '../forms.js';
import type { PageProps } from '../pages.js';
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
    const words = `${duration(transfer.minutes)} from ${nameOf(transfer.payerAccountId)} to ${nameOf(transfer.payeeAccountId)}`;
    // A rejection is final: the hours would have to be recorded again.
    if (action === 'reject' && !window.confirm(`Reject ${words}? This cannot be undone.`)) return;
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
      return action === 'confirm' ? `Confirmed ${words}: it is posted.` : `Rejected ${words}.`;
    });
  };

  return (
    <main>
      <h1>Waiting for confirmation</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <FailureMessage failure={failure} />
      <Done message={done} />
      {pending === null ? (
        <p aria-busy="true">Loading…</p>
      ) : pending.length === 0 ? (
        <p>Nothing is waiting for a confirmation.</p>
      ) : (
        <ul class="items" aria-label="Waiting for confirmation">
          {pending.map((transfer) => (
            <li key={transfer.id} data-testid="pending-transfer" data-transfer={transfer.id}>
              <span>
                <strong>{nameOf(transfer.payeeAccountId)}</strong> gave <strong>{duration(transfer.minutes)}</strong> to <strong>{nameOf(transfer.payerAccountId)}</strong>
                {transfer.description ? ` (${transfer.description})` : ''}
                <span class="hint">
                  {' '}
                  · {transfer.brokered ? 'recorded by a coordinator or partner app' : `claimed by ${nameOf(transfer.payeeAccountId)}`} on {date(transfer.createdAt)}
                  {transfer.autoConfirmAt ? ` · deadline ${date(transfer.autoConfirmAt)}` : ' · no deadline'}
                </span>
              </span>
              <span class="actions">
                <button type="button" disabled={busy} onClick={() => resolve(transfer, 'confirm')}>
                  Confirm for {nameOf(transfer.payerAccountId)}
                </button>
                <button type="button" class="secondary" disabled={busy} onClick={() => resolve(transfer, 'reject')}>
                  Reject
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
