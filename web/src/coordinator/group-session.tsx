import { useState } from 'preact/hooks';
import { ApiError, json, type Session } from '../api.js';
import { duration, signed } from '../format.js';
import { FailureMessage, FieldMessage } from '../forms.js';
import { t } from '../i18n.js';
import { baseOf, Choice, Done, HolderOptions, minutesOf, useAction, useIdempotencyKey, type Holder } from './common.js';

/*
 * A group session: one person gave to several (a workshop), several gave to one (a work day
 * for the community pot), or any list of rows. One batch: all of it is recorded, or none, and
 * a refusal names the row at fault, shown beside that row.
 */

type Mode = 'one-giver' | 'one-receiver' | 'rows';
type Row = { payee: string; payer: string; hours: string; minutes: string };
type TransferBody = { payerAccountId: string; payeeAccountId: string; minutes: number; description?: string };
type Props = { session: Session; onExpired: () => void; holders: Holder[]; nameOf: (accountId: string) => string };

const emptyRow = (): Row => ({ payee: '', payer: '', hours: '1', minutes: '0' });

/** What the service said about the transfer at `index` of the batch, if anything. */
function rowMessage(failure: unknown, index: number): string | undefined {
  if (!(failure instanceof ApiError)) return undefined;
  const prefix = `transfers.${index}`;
  const field = Object.keys(failure.fields).find((name) => name === prefix || name.startsWith(`${prefix}.`));
  return field ? failure.fields[field] : undefined;
}

export function GroupSession({ session, onExpired, holders, nameOf }: Props) {
  const [mode, setMode] = useState<Mode>('one-giver');
  const [one, setOne] = useState('');
  const [several, setSeveral] = useState<string[]>([]);
  const [filter, setFilter] = useState('');
  const [hours, setHours] = useState('1');
  const [minutes, setMinutes] = useState('0');
  const [rows, setRows] = useState<Row[]>([emptyRow(), emptyRow()]);
  const [description, setDescription] = useState('');
  const [balances, setBalances] = useState<Array<{ accountId: string; balanceMinutes: number }>>([]);
  const { failure, done, busy, run } = useAction(onExpired);
  const idempotency = useIdempotencyKey();

  const transfers = (): TransferBody[] => {
    const note = description.trim() ? { description: description.trim() } : {};
    if (mode === 'rows') return rows.map((row) => ({ payerAccountId: row.payer, payeeAccountId: row.payee, minutes: minutesOf(row.hours, row.minutes), ...note }));
    const each = minutesOf(hours, minutes);
    return several.map((other) => (mode === 'one-giver' ? { payerAccountId: other, payeeAccountId: one, minutes: each, ...note } : { payerAccountId: one, payeeAccountId: other, minutes: each, ...note }));
  };
  const submit = (event: Event) => {
    event.preventDefault();
    setBalances([]);
    void run(async () => {
      const body = { transfers: transfers() };
      try {
        const answer = await json<{ items: Array<{ minutes: number; payerAccountId: string; payeeAccountId: string }> }>(session.token, `${baseOf(session)}/transfers/batch`, { method: 'POST', body, idempotencyKey: idempotency.keyFor(body) });
        idempotency.settle();
        const involved = [...new Set(answer.items.flatMap((item) => [item.payeeAccountId, item.payerAccountId]))].slice(0, 50);
        setBalances(await Promise.all(involved.map((accountId) => json<{ balanceMinutes: number }>(session.token, `${baseOf(session)}/accounts/${accountId}`).then((account) => ({ accountId, balanceMinutes: account.balanceMinutes })))));
        setSeveral([]);
        const total = answer.items.reduce((sum, item) => sum + item.minutes, 0);
        return t('ledger.group.done', { count: answer.items.length, time: duration(total) });
      } catch (caught) {
        idempotency.settle(caught);
        throw caught;
      }
    });
  };
  const toggle = (accountId: string, on: boolean) => setSeveral((chosen) => (on ? [...chosen, accountId] : chosen.filter((each) => each !== accountId)));
  const candidates = holders.filter((holder) => holder.status === 'active' && holder.accountId !== one && holder.name.toLowerCase().includes(filter.trim().toLowerCase()));
  const setRow = (index: number, change: Partial<Row>) => setRows((current) => current.map((row, at) => (at === index ? { ...row, ...change } : row)));

  return (
    <section class="card" aria-labelledby="group-heading">
      <h2 id="group-heading">{t('ledger.group.title')}</h2>
      <p class="hint">{t('ledger.group.allOrNothing')}</p>
      <form onSubmit={submit} noValidate>
        <fieldset>
          <legend>{t('ledger.group.who')}</legend>
          <label class="inline">
            <input type="radio" name="group-mode" checked={mode === 'one-giver'} onChange={() => setMode('one-giver')} /> {t('ledger.group.oneGiver')}
          </label>
          <label class="inline">
            <input type="radio" name="group-mode" checked={mode === 'one-receiver'} onChange={() => setMode('one-receiver')} /> {t('ledger.group.oneReceiver')}
          </label>
          <label class="inline">
            <input type="radio" name="group-mode" checked={mode === 'rows'} onChange={() => setMode('rows')} /> {t('ledger.group.rows')}
          </label>
        </fieldset>
        {mode !== 'rows' ? (
          <>
            <Choice id="group-one" label={mode === 'one-giver' ? t('ledger.whoGave') : t('ledger.whoReceived')} field={mode === 'one-giver' ? 'transfers.0.payeeAccountId' : 'transfers.0.payerAccountId'} failure={failure} value={one} onChange={setOne}>
              <HolderOptions holders={holders} />
            </Choice>
            <label for="group-filter">{mode === 'one-giver' ? t('ledger.group.findReceivers') : t('ledger.group.findGivers')}</label>
            <input id="group-filter" type="search" value={filter} onInput={(event) => setFilter(event.currentTarget.value)} placeholder={t('ledger.group.findPlaceholder')} />
            <fieldset class="pick">
              <legend>{t('ledger.group.chosen', { who: mode === 'one-giver' ? t('ledger.whoReceived') : t('ledger.whoGave'), count: several.length })}</legend>
              {candidates.map((holder) => {
                const index = several.indexOf(holder.accountId);
                const message = index >= 0 ? rowMessage(failure, index) : undefined;
                return (
                  <div key={holder.accountId}>
                    <label class="inline">
                      <input type="checkbox" checked={index >= 0} onChange={(event) => toggle(holder.accountId, event.currentTarget.checked)} /> {holder.name}
                    </label>
                    {message && <span class="error field-error" data-field={`transfers.${index}`}>{message}</span>}
                  </div>
                );
              })}
            </fieldset>
            <div class="row">
              <div>
                <label for="group-hours">{t('ledger.group.hoursEach')}</label>
                <input id="group-hours" type="number" min="0" value={hours} onInput={(event) => setHours(event.currentTarget.value)} />
              </div>
              <div>
                <label for="group-minutes">{t('ledger.group.minutesEach')}</label>
                <input id="group-minutes" type="number" min="0" max="59" value={minutes} onInput={(event) => setMinutes(event.currentTarget.value)} />
              </div>
            </div>
          </>
        ) : (
          <RowsEditor rows={rows} holders={holders} failure={failure} setRow={setRow} setRows={setRows} />
        )}
        <label for="group-description">{t('ledger.description')}</label>
        <input id="group-description" maxLength={2000} value={description} onInput={(event) => setDescription(event.currentTarget.value)} />
        <FieldMessage failure={failure} field="transfers" />
        <FailureMessage failure={failure} />
        <Done message={done} />
        <button type="submit" disabled={busy}>
          {t('ledger.group.submit')}
        </button>
      </form>
      {balances.length > 0 && (
        <>
          <h3>{t('ledger.group.balances')}</h3>
          <ul class="items" aria-label={t('ledger.group.balances')}>
            {balances.map((balance) => (
              <li key={balance.accountId} data-testid="session-balance" data-account={balance.accountId} data-minutes={balance.balanceMinutes}>
                <span>{nameOf(balance.accountId)}</span> <strong>{signed(balance.balanceMinutes)}</strong>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

type RowsProps = { rows: Row[]; holders: Holder[]; failure: unknown; setRow: (index: number, change: Partial<Row>) => void; setRows: (update: (rows: Row[]) => Row[]) => void };

function RowsEditor({ rows, holders, failure, setRow, setRows }: RowsProps) {
  return (
    <>
      {rows.map((row, index) => (
        <fieldset key={index} data-testid="session-row">
          <legend>{t('ledger.group.row', { number: index + 1 })}</legend>
          <div class="row">
            <div>
              <label for={`row-payee-${index}`}>{t('ledger.whoGave')}</label>
              <select id={`row-payee-${index}`} value={row.payee} onChange={(event) => setRow(index, { payee: event.currentTarget.value })}>
                <HolderOptions holders={holders} />
              </select>
            </div>
            <div>
              <label for={`row-payer-${index}`}>{t('ledger.whoReceived')}</label>
              <select id={`row-payer-${index}`} value={row.payer} onChange={(event) => setRow(index, { payer: event.currentTarget.value })}>
                <HolderOptions holders={holders} />
              </select>
            </div>
            <div>
              <label for={`row-hours-${index}`}>{t('ledger.hours')}</label>
              <input id={`row-hours-${index}`} type="number" min="0" value={row.hours} onInput={(event) => setRow(index, { hours: event.currentTarget.value })} />
            </div>
            <div>
              <label for={`row-minutes-${index}`}>{t('ledger.minutes')}</label>
              <input id={`row-minutes-${index}`} type="number" min="0" max="59" value={row.minutes} onInput={(event) => setRow(index, { minutes: event.currentTarget.value })} />
            </div>
          </div>
          {rowMessage(failure, index) && (
            <p class="error field-error" data-field={`transfers.${index}`}>
              {rowMessage(failure, index)}
            </p>
          )}
          {rows.length > 1 && (
            <button type="button" class="secondary" onClick={() => setRows((current) => current.filter((_, at) => at !== index))}>
              {t('ledger.group.removeRow', { number: index + 1 })}
            </button>
          )}
        </fieldset>
      ))}
      <button type="button" class="secondary" onClick={() => setRows((current) => [...current, emptyRow()])}>
        {t('ledger.group.addRow')}
      </button>
    </>
  );
}
