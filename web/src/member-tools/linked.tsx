import { useEffect, useState } from 'preact/hooks';
import { json } from '../api.js';
import { Choice, Done, Field, minutesOf, useAction, useIdempotencyKey } from '../coordinator/common.js';
import { duration } from '../format.js';
import { FailureMessage, FieldMessage } from '../forms.js';
import { t } from '../i18n.js';
import type { PageProps } from '../pages.js';
import { timebankPath } from './common.js';

/*
 * Linked time banks: the members of an active link's other time bank who chose to be visible,
 * their open offers and requests, and paying one of them. The payment is a transfer like any
 * other (payee { linkId, accountId }), with one Idempotency-Key per intended payment.
 */

type Link = { id: string; peerTimebankName: string; peerUrl: string | null; status: string; peerStatus: string | null };
type Remote = { accountId: string; displayName: string };
type RemoteListing = { id: string; kind: 'offer' | 'request'; title: string; description: string; accountId: string; displayName: string };
type Directory = { members: Remote[]; listings: RemoteListing[] };

export function LinkedPage({ session, onExpired }: PageProps) {
  const [links, setLinks] = useState<Link[] | null>(null);
  const [linkId, setLinkId] = useState('');
  const [directory, setDirectory] = useState<Directory | null>(null);
  const [payee, setPayee] = useState('');
  const { failure, run } = useAction(onExpired);
  useEffect(() => {
    void run(async () => {
      const found = await json<{ items: Link[] }>(session.token, `${timebankPath(session)}/links`);
      // Hours cross a link only while both sides hold it active.
      const open = found.items.filter((link) => link.status === 'active' && link.peerStatus === 'active');
      setLinks(open);
      setLinkId(open[0]?.id ?? '');
    });
  }, []);
  useEffect(() => {
    setDirectory(null);
    setPayee('');
    if (!linkId) return;
    void run(async () => setDirectory(await json<Directory>(session.token, `${timebankPath(session)}/links/${linkId}/directory`)));
  }, [linkId]);
  const link = links?.find((each) => each.id === linkId);
  return (
    <main>
      <h1>{t('links.member.nav')}</h1>
      <p>{t('links.member.intro')}</p>
      <FailureMessage failure={failure} />
      {links === null ? (
        <p aria-busy="true">{t('links.loading')}</p>
      ) : !link ? (
        <p>{t('links.member.none')}</p>
      ) : (
        <>
          <label for="linked-timebank">{t('links.member.timebank')}</label>
          <select id="linked-timebank" value={linkId} onChange={(event) => setLinkId(event.currentTarget.value)}>
            {links.map((each) => (
              <option key={each.id} value={each.id}>
                {each.peerTimebankName}
              </option>
            ))}
          </select>
          {directory === null ? !failure && <p aria-busy="true">{t('links.loading')}</p> : <LinkedDirectory peer={link.peerTimebankName} directory={directory} onPay={setPayee} />}
          {directory && session.accountId && <PayForm key={link.id} session={session} onExpired={onExpired} link={link} people={directory.members} payee={payee} onPayee={setPayee} />}
        </>
      )}
    </main>
  );
}

/** The visible members, each with a way to pay them, and their open listings: all from the other time bank. */
function LinkedDirectory({ peer, directory, onPay }: { peer: string; directory: Directory; onPay: (accountId: string) => void }) {
  const pay = (accountId: string) => {
    onPay(accountId);
    document.getElementById('linked-payee')?.focus();
  };
  return (
    <>
      <section aria-labelledby="linked-people-heading">
        <h2 id="linked-people-heading">{t('links.member.people', { peer })}</h2>
        {directory.members.length === 0 ? (
          <p>{t('links.member.nobody', { peer })}</p>
        ) : (
          <ul class="items">
            {directory.members.map((person) => (
              <li key={person.accountId} data-testid="linked-member">
                <span>
                  <strong>{person.displayName}</strong> <span class="tag">{t('links.member.from', { peer })}</span>
                </span>
                <button type="button" class="secondary" onClick={() => pay(person.accountId)}>
                  {t('links.member.payThem', { name: person.displayName })}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="linked-listings-heading">
        <h2 id="linked-listings-heading">{t('links.member.listings', { peer })}</h2>
        {directory.listings.length === 0 ? (
          <p>{t('links.member.noListings')}</p>
        ) : (
          <ul class="items">
            {directory.listings.map((listing) => (
              <li key={listing.id} data-testid="linked-listing">
                <div>
                  <span class={`tag ${listing.kind}`}>{listing.kind === 'offer' ? t('tools.offer') : t('tools.request')}</span> <strong>{listing.title}</strong>
                  <p class="hint">{t('links.member.by', { name: listing.displayName, peer })}</p>
                  {listing.description && <p>{listing.description}</p>}
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

type PayProps = PageProps & { link: Link; people: Remote[]; payee: string; onPayee: (accountId: string) => void };

function PayForm({ session, onExpired, link, people, payee, onPayee }: PayProps) {
  const [hours, setHours] = useState('1');
  const [minutes, setMinutes] = useState('0');
  const [description, setDescription] = useState('');
  const { failure, done, busy, run } = useAction(onExpired);
  const idempotency = useIdempotencyKey();
  const peer = link.peerTimebankName;
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const person = people.find((each) => each.accountId === payee);
      if (!person) throw new Error(t('links.pay.choosePerson'));
      const body = {
        payerAccountId: session.accountId,
        payee: { linkId: link.id, accountId: person.accountId },
        minutes: minutesOf(hours, minutes),
        ...(description.trim() ? { description: description.trim() } : {}),
      };
      try {
        const transfer = await json<{ status: string; minutes: number }>(session.token, `${timebankPath(session)}/transfers`, { method: 'POST', body, idempotencyKey: idempotency.keyFor(body) });
        idempotency.settle();
        setDescription('');
        const values = { time: duration(transfer.minutes), name: person.displayName, peer };
        if (transfer.status !== 'pending') return t('links.pay.done', values);
        // Pending over a link to another service means its answer is late, not that anyone must
        // confirm: the service finishes the exchange itself, posted on both sides or on neither.
        return t(link.peerUrl ? 'links.pay.onItsWay' : 'links.pay.pending', values);
      } catch (caught) {
        idempotency.settle(caught);
        throw caught;
      }
    });
  };
  return (
    <section class="card" aria-labelledby="linked-pay-heading">
      <h2 id="linked-pay-heading">{t('links.pay.title', { peer })}</h2>
      <form onSubmit={submit} noValidate>
        <Choice id="linked-payee" label={t('links.pay.person')} field="payee.accountId" failure={failure} value={payee} onChange={onPayee}>
          <option value="">{t('links.pay.choose')}</option>
          {people.map((person) => (
            <option key={person.accountId} value={person.accountId}>
              {person.displayName}
            </option>
          ))}
        </Choice>
        <div class="row">
          <div>
            <Field id="linked-hours" label={t('links.pay.hours')} field="hours" type="number" failure={failure} value={hours} onInput={setHours} />
          </div>
          <div>
            <Field id="linked-minutes" label={t('links.pay.minutes')} field="minutes-part" type="number" failure={failure} value={minutes} onInput={setMinutes} />
          </div>
        </div>
        <FieldMessage failure={failure} field="minutes" />
        <Field id="linked-description" label={t('links.pay.description')} field="description" failure={failure} value={description} onInput={setDescription} />
        <FailureMessage failure={failure} />
        <Done message={done} />
        <button type="submit" disabled={busy}>
          {t('links.pay.submit')}
        </button>
      </form>
    </section>
  );
}
