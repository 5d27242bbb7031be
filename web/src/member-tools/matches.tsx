import { useEffect, useState } from 'preact/hooks';
import { allPages, json } from '../api.js';
import { FailureMessage } from '../forms.js';
import type { PageProps } from '../pages.js';
import { contactOf, plural, timebankPath, useDirectory, useRun, type Listing, type Match } from './common.js';

/*
 * For each of the member's open listings, the API's ranked matches: for a request, who could
 * help; for an offer, whom it could help. Names (and contact details members share) come from
 * the directory; the matched listing's title from the open listings of the other kind.
 */

type Matched = { listing: Listing; matches: Match[] };

export function MatchesPage({ session, onExpired }: PageProps) {
  const base = timebankPath(session);
  const [matched, setMatched] = useState<Matched[] | null>(null);
  const [titles, setTitles] = useState<Map<string, string>>(new Map());
  const { failure, run, fail } = useRun(onExpired);
  const people = useDirectory(session, fail);

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
      <h1>Matches</h1>
      <p>
        Who could help with what you need, and whom what you offer could help, best first. Post or change what you offer and need on <a href="#/listings">My offers and requests</a>.
      </p>
      <FailureMessage failure={failure} />
      {matched === null ? (
        <p aria-busy="true">Looking for matches…</p>
      ) : matched.length === 0 ? (
        <p>You have no open offers or requests. Post one to see who matches it.</p>
      ) : (
        matched.map(({ listing, matches }) => (
          <section key={listing.id} aria-labelledby={`matches-${listing.id}`} data-testid="listing-matches" data-listing-id={listing.id}>
            <h2 id={`matches-${listing.id}`}>
              <span class={`tag ${listing.kind}`}>{listing.kind === 'offer' ? 'I offer' : 'I need'}</span> {listing.title}
            </h2>
            <p class="hint">{listing.kind === 'request' ? 'Who could help:' : 'Whom it could help:'}</p>
            {matches.length === 0 ? (
              <p>No one yet.</p>
            ) : (
              <ol class="matches">
                {matches.map((match) => {
                  const person = people.get(match.memberId);
                  const title = titles.get(match.offerId ?? match.requestId ?? '');
                  const contact = contactOf(person);
                  return (
                    <li key={`${match.memberId}-${match.offerId ?? match.requestId}`} data-testid="match" data-member-id={match.memberId}>
                      <strong>{person?.displayName ?? 'A member'}</strong>
                      {title ? ` — ${listing.kind === 'request' ? 'offers' : 'needs'} “${title}”` : ''} ({Math.round(match.score * 100)}% match
                      {match.distanceKm === null ? '' : `, ${Math.round(match.distanceKm * 10) / 10} km away`})
                      {contact && <span class="hint"> · Contact: {contact}</span>}
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
