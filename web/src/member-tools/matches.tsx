import { useEffect, useState } from 'preact/hooks';
import { allPages, json } from '../api.js';
import { FailureMessage } from '../forms.js';
import { formats, t } from '../i18n.js';
import type { PageProps } from '../pages.js';
import { rich } from '../rich.js';
import { contactOf, plural, timebankPath, useDirectory, useRun, type Listing, type Match } from './common.js';
import { candidateOf, MatchMarks, type MarkedMatch, type MatchMark } from './match-marks.js';

/*
 * For each of the member's open listings, the API's ranked matches: for a request, who could
 * help; for an offer, whom it could help. Names (and contact details members share) come from
 * the directory; the matched listing's title from the open listings of the other kind.
 */

type Matched = { listing: Listing; matches: MarkedMatch[] };

/** "(87% match, 1.2 km away)", in the member's language. */
function matchWords(match: Match): string {
  const score = formats.number(match.score, { style: 'percent', maximumFractionDigits: 0 });
  return match.distanceKm === null ? t('tools.matches.score', { score }) : t('tools.matches.scoreDistance', { score, km: Math.round(match.distanceKm * 10) / 10 });
}

export function MatchesPage({ session, onExpired }: PageProps) {
  const base = timebankPath(session);
  const [matched, setMatched] = useState<Matched[] | null>(null);
  const [titles, setTitles] = useState<Map<string, string>>(new Map());
  const { failure, run, fail } = useRun(onExpired);
  const people = useDirectory(session, fail);
  const [notice, setNotice] = useState<string | null>(null);
  // A match marked not suitable leaves the page; one marked contacted says so.
  const marked = (listingId: string, candidate: string, mark: MatchMark) => {
    setNotice(mark === 'notSuitable' ? t('needs.mark.hidden') : null);
    setMatched((current) =>
      (current ?? []).map((entry) =>
        entry.listing.id !== listingId
          ? entry
          : { ...entry, matches: mark === 'notSuitable' ? entry.matches.filter((match) => candidateOf(match) !== candidate) : entry.matches.map((match) => (candidateOf(match) === candidate ? { ...match, mark } : match)) },
      ),
    );
  };

  useEffect(() => {
    void run(async () => {
      const own = (
        await Promise.all((['request', 'offer'] as const).map((kind) => allPages<Listing>(session.token, `${base}/${plural(kind)}?memberId=${session.memberId}&status=open`, 2)))
      ).flat();
      // The titles of what matched: the first pages of open listings are enough for a name.
      const [found, others] = await Promise.all([
        Promise.all(own.map(async (listing) => ({ listing, matches: (await json<{ items: Match[] }>(session.token, `${base}/${plural(listing.kind)}/${listing.id}/matches?limit=10`)).items }))),
        Promise.all((['offer', 'request'] as const).map((kind) => allPages<Listing>(session.token, `${base}/${plural(kind)}?status=open`, 2))),
      ]);
      setTitles(new Map(others.flat().map((listing) => [listing.id, listing.title])));
      setMatched(found);
    });
  }, []);

  return (
    <main>
      <h1>{t('app.page.matches')}</h1>
      <p>{rich('tools.matches.about', { link: <a href="#/listings">{t('app.page.listings')}</a> })}</p>
      <FailureMessage failure={failure} />
      {notice && (
        <p class="ok" role="status">
          {notice}
        </p>
      )}
      {matched === null ? (
        <p aria-busy="true">{t('tools.matches.looking')}</p>
      ) : matched.length === 0 ? (
        <p>{t('tools.matches.noListings')}</p>
      ) : (
        matched.map(({ listing, matches }) => (
          <section key={listing.id} aria-labelledby={`matches-${listing.id}`} data-testid="listing-matches" data-listing-id={listing.id}>
            <h2 id={`matches-${listing.id}`}>
              <span class={`tag ${listing.kind}`}>{listing.kind === 'offer' ? t('tools.iOffer') : t('tools.iNeed')}</span> {listing.title}
            </h2>
            <p class="hint">{listing.kind === 'request' ? t('tools.matches.couldHelp') : t('tools.matches.couldBeHelped')}</p>
            {matches.length === 0 ? (
              <p>{t('tools.matches.noOne')}</p>
            ) : (
              <ol class="matches">
                {matches.map((match) => {
                  const person = people.get(match.memberId);
                  const title = titles.get(match.offerId ?? match.requestId ?? '');
                  const contact = contactOf(person);
                  return (
                    <li key={`${match.memberId}-${match.offerId ?? match.requestId}`} data-testid="match" data-member-id={match.memberId}>
                      <strong>{person?.displayName ?? t('tools.matches.someone')}</strong>
                      {title ? t(listing.kind === 'request' ? 'tools.matches.offers' : 'tools.matches.needs', { title }) : ''}{' '}
                      {matchWords(match)}
                      {contact && <span class="hint"> · {t('tools.contact', { contact })}</span>}
                      <MatchMarks session={session} listing={listing} match={match} run={run} onMarked={(mark) => marked(listing.id, candidateOf(match), mark)} />
                    </li>
                  );
                })}
              </ol>
            )}
          </section>
        ))
      )}
    </main>
  );
}
