import { useEffect, useState } from 'preact/hooks';
import { json, onFailure, type Session } from '../api.js';
import { FailureMessage } from '../forms.js';
import { t } from '../i18n.js';
import type { PageProps } from '../pages.js';
import { rich } from '../rich.js';
import { baseOf, Done, Field, useAction } from './common.js';
import { LimitFields, limitMinutes, LinkRow, type Link } from './link-row.js';

/*
 * Links with other time banks of this service: each one's state on both sides, who owes whom
 * and how far each side may go; proposing one, accepting the other side's proposal, changing
 * this side's limits, suspending, and checking that both ledgers agree on the balance.
 */

/** The limit both sides start with unless the proposal says otherwise: 6,000 minutes. */
const DEFAULT_LIMIT_HOURS = '100';

export function LinksPage({ session, onExpired }: PageProps) {
  const [links, setLinks] = useState<Link[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    json<{ items: Link[] }>(session.token, `${baseOf(session)}/links`)
      .then((found) => setLinks(found.items))
      .catch(onFailure(onExpired, setError));
  }, [version]);
  const changed = () => setVersion((value) => value + 1);
  return (
    <main class="wide">
      <h1>{t('links.title')}</h1>
      <p>{t('links.intro')}</p>
      <p>{rich('links.ownId', { id: <code data-testid="own-timebank-id">{session.timebankId}</code> })}</p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {links === null ? (
        <p aria-busy="true">{t('links.loading')}</p>
      ) : links.length === 0 ? (
        <p>{t('links.none')}</p>
      ) : (
        <ul class="items" aria-label={t('links.title')}>
          {links.map((link) => (
            <LinkRow key={link.id} session={session} onExpired={onExpired} link={link} onChanged={changed} />
          ))}
        </ul>
      )}
      <ProposeLink session={session} onExpired={onExpired} onProposed={changed} />
    </main>
  );
}

function ProposeLink({ session, onExpired, onProposed }: { session: Session; onExpired: () => void; onProposed: () => void }) {
  const [peer, setPeer] = useState('');
  const [byUs, setByUs] = useState(DEFAULT_LIMIT_HOURS);
  const [toUs, setToUs] = useState(DEFAULT_LIMIT_HOURS);
  const { failure, done, busy, run } = useAction(onExpired);
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const body = { peerTimebankId: peer.trim(), maxOwedByUsMinutes: limitMinutes(byUs), maxOwedToUsMinutes: limitMinutes(toUs) };
      const link = await json<Link>(session.token, `${baseOf(session)}/links`, { method: 'POST', body });
      setPeer('');
      onProposed();
      return t('links.proposedDone', { peer: link.peerTimebankName });
    });
  };
  return (
    <section class="card" aria-labelledby="propose-link-heading">
      <h2 id="propose-link-heading">{t('links.proposeTitle')}</h2>
      <form onSubmit={submit} noValidate>
        <Field id="link-peer" label={t('links.peerId')} field="peerTimebankId" failure={failure} value={peer} onInput={setPeer} hint={t('links.peerIdHint')} />
        <LimitFields prefix="propose" failure={failure} byUs={byUs} toUs={toUs} onByUs={setByUs} onToUs={setToUs} />
        <FailureMessage failure={failure} />
        <Done message={done} />
        <button type="submit" disabled={busy}>
          {t('links.proposeSubmit')}
        </button>
      </form>
    </section>
  );
}
