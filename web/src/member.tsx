import { useEffect, useMemo, useState } from 'preact/hooks';
import { allPages, json, onFailure, type Page, type Session } from './api.js';
import { date, duration, durationInWords, newKey, signed } from './format.js';
import { EmailSettings } from './email-settings.js';
import { Inbox } from './inbox.js';
import { t } from './i18n.js';
import { followEvents, latestEvents, NUDGE_TYPES, type FeedEvent } from './live.js';
import { rich } from './rich.js';

type Account = {
  id: string;
  balanceMinutes: number;
  availableMinutes: number;
  pendingDebitMinutes: number;
  pendingCreditMinutes: number;
  givenMinutes: number;
  receivedMinutes: number;
  minBalanceMinutes: number;
  maxBalanceMinutes: number;
};
type Transfer = { id: string; payerAccountId: string; payeeAccountId: string; minutes: number; status: string; description: string | null; createdAt: string; autoConfirmAt: string | null };
type StatementItem = { transferId: string; minutes: number; balanceAfterMinutes: number; postedAt: string; description: string | null; counterpartyAccountId: string };
type Statement = { items: StatementItem[]; nextCursor: string | null };
type Person = { memberId: string; displayName: string; accountId: string; kind: string };
type Link = { clearingAccountId: string; peerTimebankName: string };

type Props = { session: Session; onExpired: () => void };

/** Runs an action and turns its failure into words; an ended session goes back to the login. */
function useAction(onExpired: () => void) {
  const [error, setError] = useState<string | null>(null);
  const run = async (action: () => Promise<void>) => {
    setError(null);
    await action().catch(onFailure(onExpired, setError));
  };
  return { error, run };
}

export function MemberHome({ session, onExpired }: Props) {
  const base = `/v1/timebanks/${session.timebankId}`;
  const [account, setAccount] = useState<Account | null>(null);
  const [pending, setPending] = useState<Transfer[]>([]);
  const [statement, setStatement] = useState<StatementItem[]>([]);
  const [people, setPeople] = useState<Person[]>([]);
  const [version, setVersion] = useState(0);
  const { error, run } = useAction(onExpired);
  const refresh = () => setVersion((value) => value + 1);

  useEffect(() => {
    if (!session.accountId) return;
    void run(async () => {
      const [found, waiting, lines] = await Promise.all([
        json<Account>(session.token, `${base}/accounts/${session.accountId}`),
        json<Page<Transfer>>(session.token, `${base}/transfers?status=pending&limit=100`),
        json<Statement>(session.token, `${base}/accounts/${session.accountId}/statement?limit=50`),
      ]);
      setAccount(found);
      setPending(waiting.items);
      // Newest first: what changed last is what people look for.
      setStatement([...lines.items].reverse());
    });
  }, [version]);
  const [links, setLinks] = useState<Link[]>([]);
  useEffect(() => {
    void run(async () => setPeople(await allPages<Person>(session.token, `${base}/directory`)));
    // A payment to or from a linked time bank runs through that link's clearing account here.
    void run(async () => setLinks((await json<{ items: Link[] }>(session.token, `${base}/links`)).items));
  }, []);
  // Live: a claim arriving, confirmed or rejected, or any other change to the member's
  // transfers, reloads what they show; nudges go to the inbox.
  const [nudges, setNudges] = useState<FeedEvent[]>([]);
  useEffect(() => {
    let stop = () => {};
    let stopped = false;
    void run(async () => {
      const { head } = await latestEvents(session.token, session.timebankId, null, 0);
      if (stopped) return;
      stop = followEvents(session.timebankId, head, (event) => {
        if (event.type.startsWith('transfer.')) refresh();
        if (NUDGE_TYPES.includes(event.type)) setNudges((shown) => [event, ...shown]);
      });
    });
    return () => {
      stopped = true;
      stop();
    };
  }, []);
  const names = useMemo(
    () => new Map([...people.map((person) => [person.accountId, person.displayName] as const), ...links.map((link) => [link.clearingAccountId, t('member.linkedTimebank', { name: link.peerTimebankName })] as const)]),
    [people, links],
  );
  const nameOf = (accountId: string) => names.get(accountId) ?? t('member.commons');

  if (!session.accountId) return <main><p>{t('member.noAccount')}</p></main>;
  return (
    <main>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <h1 class="visually-hidden">{t('app.page.home')}</h1>
      <BalanceCard account={account} />
      <Inbox session={session} live={nudges} nameOf={nameOf} onExpired={onExpired} />
      <PendingList session={session} pending={pending} nameOf={nameOf} onChanged={refresh} onExpired={onExpired} />
      <RecordForms session={session} people={people.filter((person) => person.accountId !== session.accountId)} onRecorded={refresh} onExpired={onExpired} />
      <section aria-labelledby="statement-heading">
        <h2 id="statement-heading">{t('member.statement.title')}</h2>
        {statement.length === 0 ? (
          <p>{t('member.statement.empty')}</p>
        ) : (
          // Focusable, so that a wide table scrolls from the keyboard on a phone.
          <div class="scroll" role="group" aria-labelledby="statement-heading" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('member.statement.date')}</th>
                  <th scope="col">{t('member.statement.with')}</th>
                  <th scope="col" class="optional">{t('member.statement.what')}</th>
                  <th scope="col" class="number">{t('member.statement.amount')}</th>
                  <th scope="col" class="number">{t('member.statement.balanceAfter')}</th>
                </tr>
              </thead>
              <tbody>
                {statement.map((item) => (
                  <tr key={item.transferId} data-testid="statement-line">
                    <td>{date(item.postedAt)}</td>
                    <td>{nameOf(item.counterpartyAccountId)}</td>
                    <td class="optional">{item.description ?? ''}</td>
                    <td class="number">{t(item.minutes > 0 ? 'member.statement.given' : 'member.statement.received', { time: duration(item.minutes) })}</td>
                    <td class="number" data-testid="balance-after" data-minutes={item.balanceAfterMinutes}>
                      {signed(item.balanceAfterMinutes)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section aria-labelledby="listings-heading">
        <h2 id="listings-heading">{t('app.page.listings')}</h2>
        <p>
          {rich('member.listings.text', {
            listings: <a href="#/listings">{t('app.page.listings')}</a>,
            matches: <a href="#/matches">{t('app.page.matches')}</a>,
            profile: <a href="#/profile">{t('app.page.profile')}</a>,
          })}
        </p>
      </section>
      <EmailSettings session={session} onExpired={onExpired} />
    </main>
  );
}

function BalanceCard({ account }: { account: Account | null }) {
  if (!account) return <section class="card" aria-busy="true">
        {t('member.balance.loading')}
      </section>;
  const balance = account.balanceMinutes;
  return (
    <section class="card balance" aria-labelledby="balance-heading">
      <h2 id="balance-heading">{t('member.balance.title')}</h2>
      <p class="big" data-testid="balance" data-minutes={balance}>
        {signed(balance)}
      </p>
      <p>
        {balance > 0
          ? t('member.balance.ahead', { time: durationInWords(balance) })
          : balance < 0
            ? t('member.balance.behind', { time: durationInWords(balance) })
            : t('member.balance.even')}
      </p>
      <dl class="facts">
        <div>
          <dt>{t('member.balance.given')}</dt>
          <dd>{duration(account.givenMinutes)}</dd>
        </div>
        <div>
          <dt>{t('member.balance.received')}</dt>
          <dd>{duration(account.receivedMinutes)}</dd>
        </div>
        <div>
          <dt>{t('member.balance.room')}</dt>
          <dd data-testid="available">{duration(Math.max(0, account.availableMinutes))}</dd>
        </div>
        <div>
          <dt>{t('member.balance.waiting')}</dt>
          <dd>{t('member.balance.waitingBoth', { toYou: duration(account.pendingCreditMinutes), fromYou: duration(account.pendingDebitMinutes) })}</dd>
        </div>
      </dl>
    </section>
  );
}

function PendingList({ session, pending, nameOf, onChanged, onExpired }: { session: Session; pending: Transfer[]; nameOf: (accountId: string) => string; onChanged: () => void; onExpired: () => void }) {
  const { error, run } = useAction(onExpired);
  const resolve = (transfer: Transfer, action: 'confirm' | 'reject') =>
    run(async () => {
      await json(session.token, `/v1/timebanks/${session.timebankId}/transfers/${transfer.id}/${action}`, { method: 'POST', idempotencyKey: newKey() });
      onChanged();
    });
  return (
    <section aria-labelledby="pending-heading">
      <h2 id="pending-heading">{t('member.pending.title')}</h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {pending.length === 0 ? (
        <p>{t('member.pending.empty')}</p>
      ) : (
        <ul class="items">
          {pending.map((transfer) => {
            const mine = transfer.payerAccountId === session.accountId;
            return (
              <li key={transfer.id} data-testid="pending-item">
                {mine ? (
                  <span>
                    {rich(transfer.description ? 'member.pending.claimAbout' : 'member.pending.claim', { time: <strong>{duration(transfer.minutes)}</strong> }, { name: nameOf(transfer.payeeAccountId), description: transfer.description ?? '' })}
                  </span>
                ) : (
                  <span>
                    {rich(
                      transfer.autoConfirmAt ? 'member.pending.recordedUntil' : 'member.pending.recorded',
                      { time: <strong>{duration(transfer.minutes)}</strong> },
                      { name: nameOf(transfer.payerAccountId), date: date(transfer.autoConfirmAt) },
                    )}
                  </span>
                )}
                <span class="actions">
                  {mine && (
                    <button type="button" onClick={() => resolve(transfer, 'confirm')}>
                      {t('member.pending.confirm')}
                    </button>
                  )}
                  <button type="button" class="secondary" onClick={() => resolve(transfer, 'reject')}>
                    {mine ? t('member.pending.notRight') : t('member.pending.withdraw')}
                  </button>
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function RecordForms({ session, people, onRecorded, onExpired }: { session: Session; people: Person[]; onRecorded: () => void; onExpired: () => void }) {
  const [direction, setDirection] = useState<'given' | 'received'>('given');
  const [filter, setFilter] = useState('');
  const [personId, setPersonId] = useState('');
  const [hours, setHours] = useState('1');
  const [minutes, setMinutes] = useState('0');
  const [description, setDescription] = useState('');
  const [done, setDone] = useState<string | null>(null);
  // One key per intended transfer: a retry after a lost answer cannot record it twice.
  const [key, setKey] = useState(newKey());
  const { error, run } = useAction(onExpired);
  const shown = people.filter((person) => person.displayName.toLowerCase().includes(filter.trim().toLowerCase())).slice(0, 200);
  const submit = (event: Event) => {
    event.preventDefault();
    setDone(null);
    void run(async () => {
      const person = people.find((candidate) => candidate.accountId === personId);
      const total = Number(hours) * 60 + Number(minutes);
      if (!person) throw new Error(t('member.record.choosePerson'));
      if (!Number.isInteger(total) || total <= 0) throw new Error(t('member.record.wholeMinutes'));
      const body = {
        payerAccountId: direction === 'given' ? person.accountId : session.accountId,
        payeeAccountId: direction === 'given' ? session.accountId : person.accountId,
        minutes: total,
        ...(description.trim() ? { description: description.trim() } : {}),
      };
      const transfer = await json<{ status: string }>(session.token, `/v1/timebanks/${session.timebankId}/transfers`, { method: 'POST', body, idempotencyKey: key });
      setKey(newKey());
      setDescription('');
      setDone(
        t(transfer.status === 'pending' ? 'member.record.pending' : direction === 'given' ? 'member.record.doneGiven' : 'member.record.doneReceived', {
          time: duration(total),
          name: person.displayName,
        }),
      );
      onRecorded();
    });
  };
  return (
    <section aria-labelledby="record-heading">
      <h2 id="record-heading">{t('member.record.title')}</h2>
      <form onSubmit={submit} class="record">
        <fieldset>
          <legend>{t('member.record.what')}</legend>
          <label class="inline">
            <input type="radio" name="direction" value="given" checked={direction === 'given'} onChange={() => setDirection('given')} /> {t('member.record.gave')}
          </label>
          <label class="inline">
            <input type="radio" name="direction" value="received" checked={direction === 'received'} onChange={() => setDirection('received')} /> {t('member.record.received')}
          </label>
        </fieldset>
        <label for="person-filter">{t('member.record.find')}</label>
        <input id="person-filter" type="search" value={filter} onInput={(event) => setFilter(event.currentTarget.value)} placeholder={t('member.record.findPlaceholder')} />
        <label for="person">{t('member.record.person')}</label>
        <select id="person" required value={personId} onChange={(event) => setPersonId(event.currentTarget.value)}>
          <option value="">{t('member.record.choose')}</option>
          {shown.map((person) => (
            <option key={person.accountId} value={person.accountId}>
              {person.displayName}
            </option>
          ))}
        </select>
        <div class="row">
          <div>
            <label for="hours">{t('member.record.hours')}</label>
            <input id="hours" type="number" inputMode="numeric" min="0" max="24" step="1" value={hours} onInput={(event) => setHours(event.currentTarget.value)} />
          </div>
          <div>
            <label for="minutes">{t('member.record.minutes')}</label>
            <input id="minutes" type="number" inputMode="numeric" min="0" max="59" step="1" value={minutes} onInput={(event) => setMinutes(event.currentTarget.value)} />
          </div>
        </div>
        <label for="description">{t('member.record.description')}</label>
        <input id="description" maxLength={2000} value={description} onInput={(event) => setDescription(event.currentTarget.value)} />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        {done && (
          <p class="ok" role="status">
            {done}
          </p>
        )}
        <button type="submit">{direction === 'given' ? t('member.record.submitGiven') : t('member.record.submitReceived')}</button>
      </form>
    </section>
  );
}
