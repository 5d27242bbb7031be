import { useEffect, useState } from 'preact/hooks';
import { ApiError, json, onFailure, type Session } from '../api.js';
import { FailureMessage } from '../forms.js';
import { t } from '../i18n.js';
import type { PageProps } from '../pages.js';
import { rich } from '../rich.js';
import { baseOf, Done, Field, useAction } from './common.js';
import { LimitFields, limitMinutes, LinkRow, type Link } from './link-row.js';

/*
 * Links with other time banks, of this service or of another one (peerUrl): each one's state on
 * both sides, who owes whom and how far each side may go; proposing one, accepting the other
 * side's proposal, changing this side's limits, suspending, and checking that both ledgers
 * agree on the balance.
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

/**
 * A proposal the other service did not take, in words naming it: the API's generic message for
 * these codes speaks of "the other deployment" and cannot say what the coordinator should check.
 * Anything else is passed on as it is.
 */
function peerFailure(caught: unknown, peerUrl: string): unknown {
  if (!(caught instanceof ApiError)) return caught;
  if (caught.code === 'peer_unreachable') return new Error(t('links.peerUnreachable', { url: peerUrl }));
  if (caught.code !== 'peer_refused') return caught;
  const peerProblem = caught.problem.peerProblem as { detail?: unknown } | undefined;
  const detail = typeof peerProblem?.detail === 'string' ? peerProblem.detail : caught.message;
  return new Error(t('links.peerRefused', { url: peerUrl, detail }));
}

function ProposeLink({ session, onExpired, onProposed }: { session: Session; onExpired: () => void; onProposed: () => void }) {
  const [peer, setPeer] = useState('');
  const [peerUrl, setPeerUrl] = useState('');
  const [byUs, setByUs] = useState(DEFAULT_LIMIT_HOURS);
  const [toUs, setToUs] = useState(DEFAULT_LIMIT_HOURS);
  const { failure, done, busy, run } = useAction(onExpired);
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const url = peerUrl.trim();
      // Without peerUrl the peer is a time bank of this service: an empty one is left out, not sent.
      const body = { peerTimebankId: peer.trim(), ...(url ? { peerUrl: url } : {}), maxOwedByUsMinutes: limitMinutes(byUs), maxOwedToUsMinutes: limitMinutes(toUs) };
      let link: Link;
      try {
        link = await json<Link>(session.token, `${baseOf(session)}/links`, { method: 'POST', body });
      } catch (caught) {
        throw peerFailure(caught, url);
      }
      setPeer('');
      setPeerUrl('');
      onProposed();
      return t('links.proposedDone', { peer: link.peerTimebankName });
    });
  };
  return (
    <section class="card" aria-labelledby="propose-link-heading">
      <h2 id="propose-link-heading">{t('links.proposeTitle')}</h2>
      <form onSubmit={submit} noValidate>
        <Field id="link-peer" label={t('links.peerId')} field="peerTimebankId" failure={failure} value={peer} onInput={setPeer} hint={t('links.peerIdHint')} />
        <Field id="link-peer-url" label={t('links.peerUrl')} field="peerUrl" type="url" failure={failure} value={peerUrl} onInput={setPeerUrl} hint={t('links.peerUrlHint')} />
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
