import { useState } from 'preact/hooks';
import { json, onFailure } from '../api.js';
import { duration } from '../format.js';
import { FailureMessage, FieldMessage } from '../forms.js';
import { t } from '../i18n.js';
import type { PageProps } from '../pages.js';
import { baseOf, Choice, Done, Field, HolderOptions, minutesOf, useAccounts, useAction, useIdempotencyKey, type Holder } from './common.js';
import { GroupSession } from './group-session.js';

/*
 * Recording for members: one exchange between any two accounts, and a group session (many
 * exchanges, all recorded or none). Each submitted form carries an Idempotency-Key, reused when
 * the same form is sent again after a lost answer.
 */

export function RecordingPage({ session, onExpired }: PageProps) {
  const [error, setError] = useState<string | null>(null);
  const accounts = useAccounts(session, onFailure(onExpired, setError));
  return (
    <main>
      <h1>{t('app.page.record')}</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <RecordOne session={session} onExpired={onExpired} holders={accounts.holders} nameOf={accounts.nameOf} />
      <GroupSession session={session} onExpired={onExpired} holders={accounts.holders} nameOf={accounts.nameOf} />
    </main>
  );
}

type FormProps = PageProps & { holders: Holder[]; nameOf: (accountId: string) => string };

function RecordOne({ session, onExpired, holders, nameOf }: FormProps) {
  const [payee, setPayee] = useState('');
  const [payer, setPayer] = useState('');
  const [hours, setHours] = useState('1');
  const [minutes, setMinutes] = useState('0');
  const [description, setDescription] = useState('');
  const [pending, setPending] = useState(false);
  const { failure, done, busy, run } = useAction(onExpired);
  const idempotency = useIdempotencyKey();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const body = {
        payerAccountId: payer,
        payeeAccountId: payee,
        minutes: minutesOf(hours, minutes),
        ...(description.trim() ? { description: description.trim() } : {}),
        ...(pending ? { pending: true } : {}),
      };
      try {
        const transfer = await json<{ status: string; minutes: number }>(session.token, `${baseOf(session)}/transfers`, { method: 'POST', body, idempotencyKey: idempotency.keyFor(body) });
        idempotency.settle();
        setDescription('');
        return t(transfer.status === 'pending' ? 'ledger.recordedWaiting' : 'ledger.recorded', { time: duration(transfer.minutes), payee: nameOf(payee), payer: nameOf(payer) });
      } catch (caught) {
        idempotency.settle(caught);
        throw caught;
      }
    });
  };
  return (
    <section class="card" aria-labelledby="record-one-heading">
      <h2 id="record-one-heading">{t('ledger.one.title')}</h2>
      <form onSubmit={submit} noValidate>
        <div class="row">
          <div>
            <Choice id="one-payee" label={t('ledger.whoGaveHelp')} field="payeeAccountId" failure={failure} value={payee} onChange={setPayee}>
              <HolderOptions holders={holders} />
            </Choice>
          </div>
          <div>
            <Choice id="one-payer" label={t('ledger.whoReceivedIt')} field="payerAccountId" failure={failure} value={payer} onChange={setPayer}>
              <HolderOptions holders={holders} />
            </Choice>
          </div>
        </div>
        <div class="row">
          <div>
            <Field id="one-hours" label={t('ledger.hours')} field="hours" type="number" failure={failure} value={hours} onInput={setHours} />
          </div>
          <div>
            <Field id="one-minutes" label={t('ledger.minutes')} field="minutes-part" type="number" failure={failure} value={minutes} onInput={setMinutes} />
          </div>
        </div>
        <FieldMessage failure={failure} field="minutes" />
        <Field id="one-description" label={t('ledger.description')} field="description" failure={failure} value={description} onInput={setDescription} />
        <label class="inline">
          <input type="checkbox" checked={pending} onChange={(event) => setPending(event.currentTarget.checked)} /> {t('ledger.askFirst')}
        </label>
        <FailureMessage failure={failure} />
        <Done message={done} />
        <button type="submit" disabled={busy}>
          {t('ledger.one.submit')}
        </button>
      </form>
    </section>
  );
}
