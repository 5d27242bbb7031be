import { useEffect, useState } from 'preact/hooks';
import { allPages, json, onFailure } from '../api.js';
import { date, duration } from '../format.js';
import { FailureMessage } from '../forms.js';
import { t } from '../i18n.js';
import type { PageProps } from '../pages.js';
import { rich } from '../rich.js';
import { baseOf, Done, Field, useAccounts, useAction, useIdempotencyKey } from './common.js';
import type { Transfer } from './pending.js';

/*
 * Recent transfers, newest first, and the only correction a ledger allows: a reversal, with a
 * reason, asked about before it is sent.
 */

const SHOWN = 200;

export function TransfersPage({ session, onExpired }: PageProps) {
  const [days, setDays] = useState(30);
  const [accountId, setAccountId] = useState('');
  const [transfers, setTransfers] = useState<Transfer[] | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reversed, setReversed] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const fail = onFailure(onExpired, setError);
  const { holders, nameOf } = useAccounts(session, fail);
  useEffect(() => {
    setError(null);
    const from = new Date(Date.now() - days * 86_400_000).toISOString();
    const params = new URLSearchParams({ from });
    if (accountId) params.set('accountId', accountId);
    // The list runs oldest first: the newest are at its end.
    allPages<Transfer>(session.token, `${baseOf(session)}/transfers?${params.toString()}`)
      .then((found) => setTransfers(found.reverse()))
      .catch(fail);
  }, [days, accountId, version]);

  return (
    <main class="wide">
      <h1>{t('app.page.transfers')}</h1>
      <div class="title-row">
        <div>
          <label for="transfers-period">{t('ledger.period')}</label>
          <select id="transfers-period" value={days} onChange={(event) => setDays(Number(event.currentTarget.value))}>
            {[7, 30, 90].map((count) => (
              <option key={count} value={count}>
                {t('ledger.lastDays', { count })}
              </option>
            ))}
            <option value={365}>{t('ledger.lastYear')}</option>
          </select>
        </div>
        <div>
          <label for="transfers-account">{t('ledger.whose')}</label>
          <select id="transfers-account" value={accountId} onChange={(event) => setAccountId(event.currentTarget.value)}>
            <option value="">{t('ledger.everyone')}</option>
            {holders.map((holder) => (
              <option key={holder.accountId} value={holder.accountId}>
                {holder.name}
              </option>
            ))}
          </select>
        </div>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <Done message={reversed} />
      {transfers === null ? (
        <p aria-busy="true">{t('ledger.loadingTransfers')}</p>
      ) : transfers.length === 0 ? (
        <p>{t('ledger.noTransfer')}</p>
      ) : (
        <ul class="items" aria-label={t('app.page.transfers')}>
          {transfers.slice(0, SHOWN).map((transfer) => (
            <li key={transfer.id} data-testid="transfer-row" data-transfer={transfer.id}>
              <span>
                {date(transfer.postedAt ?? transfer.createdAt)}:{' '}
                {rich('ledger.gave', { payee: <strong>{nameOf(transfer.payeeAccountId)}</strong>, time: <strong>{duration(transfer.minutes)}</strong>, payer: <strong>{nameOf(transfer.payerAccountId)}</strong> })}
                {transfer.description ? ` (${transfer.description})` : ''} · {t('ledger.status', { status: transfer.status })}
                {transfer.reversesTransferId ? ` · ${t('ledger.reversal', { reason: transfer.reason ?? '' })}` : ''}
                {transfer.reversedByTransferId ? ` · ${t('ledger.reversed')}` : ''}
              </span>
              {transfer.status === 'posted' && !transfer.reversesTransferId && !transfer.reversedByTransferId && (
                <span class="actions">
                  <button
                    type="button"
                    class="secondary"
                    aria-expanded={open === transfer.id}
                    onClick={() => {
                      setReversed(null);
                      setOpen(open === transfer.id ? null : transfer.id);
                    }}
                  >
                    {open === transfer.id ? t('ledger.cancel') : t('ledger.reverseOpen')}
                  </button>
                </span>
              )}
              {open === transfer.id && (
                <ReversalForm
                  session={session}
                  onExpired={onExpired}
                  transfer={transfer}
                  nameOf={nameOf}
                  onReversed={(message) => {
                    setReversed(message);
                    setOpen(null);
                    setVersion((value) => value + 1);
                  }}
                />
              )}
            </li>
          ))}
        </ul>
      )}
      {transfers && transfers.length > SHOWN && <p class="hint">{t('ledger.newest', { shown: SHOWN, total: transfers.length })}</p>}
    </main>
  );
}

type ReversalProps = PageProps & { transfer: Transfer; nameOf: (accountId: string) => string; onReversed: (message: string) => void };

function ReversalForm({ session, onExpired, transfer, nameOf, onReversed }: ReversalProps) {
  const [reason, setReason] = useState('');
  const [overrideLimits, setOverrideLimits] = useState(false);
  const { failure, busy, run } = useAction(onExpired);
  const idempotency = useIdempotencyKey();
  const submit = (event: Event) => {
    event.preventDefault();
    const words = t('ledger.back', { time: duration(transfer.minutes), payee: nameOf(transfer.payeeAccountId), payer: nameOf(transfer.payerAccountId) });
    // A reversal is a new posted transfer: it cannot itself be undone.
    if (!window.confirm(t('ledger.reverseQuestion', { words }))) return;
    void run(async () => {
      const body = { reason, ...(overrideLimits ? { overrideLimits: true } : {}) };
      try {
        await json(session.token, `${baseOf(session)}/transfers/${transfer.id}/reverse`, { method: 'POST', body, idempotencyKey: idempotency.keyFor({ transferId: transfer.id, ...body }) });
        idempotency.settle();
      } catch (caught) {
        idempotency.settle(caught);
        throw caught;
      }
      onReversed(t('ledger.reversedDone', { words }));
    });
  };
  return (
    <form class="editor" onSubmit={submit} noValidate aria-label={t('ledger.reverse')}>
      <Field id={`reason-${transfer.id}`} label={t('ledger.reason')} field="reason" failure={failure} value={reason} onInput={setReason} hint={t('ledger.reasonHint')} />
      <label class="inline">
        <input type="checkbox" checked={overrideLimits} onChange={(event) => setOverrideLimits(event.currentTarget.checked)} /> {t('ledger.override')}
      </label>
      <FailureMessage failure={failure} />
      <button type="submit" disabled={busy}>
        {t('ledger.reverse')}
      </button>
    </form>
  );
}
