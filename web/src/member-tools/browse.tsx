import { useEffect, useMemo, useState } from 'preact/hooks';
import { allPages, json, type Page } from '../api.js';
import { FailureMessage } from '../forms.js';
import { t } from '../i18n.js';
import type { PageProps } from '../pages.js';
import { categoryChoices, contactOf, distanceKm, plural, timebankPath, useCategories, useDirectory, useRun, type Listing, type ListingKind, type Person, type Point } from './common.js';
import { CategorySelect, KindChoice, TextField } from './fields.js';
import { degrees, LocationInputs, PointMap } from './point-picker.js';

/*
 * Browsing and searching the time bank's open offers and requests: by words, by category, and
 * by distance from a point the member chooses. The API does the searching; this page only asks.
 */

type Search = { kind: ListingKind; q: string; categoryId: string; lat: string; lon: string; radiusKm: string };

/** The query the API is asked: open listings only, and a distance only when a point is given. */
function queryOf(search: Search): string {
  const query = new URLSearchParams({ status: 'open', limit: '50' });
  if (search.q.trim()) query.set('q', search.q.trim());
  if (search.categoryId) query.set('categoryId', search.categoryId);
  if (search.lat.trim() || search.lon.trim()) {
    query.set('lat', search.lat.trim());
    query.set('lon', search.lon.trim());
    query.set('radiusKm', search.radiusKm.trim());
  }
  return query.toString();
}

const pointOf = (search: Search): Point | null => {
  const lat = Number(search.lat);
  const lon = Number(search.lon);
  return search.lat.trim() && search.lon.trim() && Number.isFinite(lat) && Number.isFinite(lon) ? { lat, lon } : null;
};

export function BrowsePage({ session, onExpired }: PageProps) {
  const base = timebankPath(session);
  const [search, setSearch] = useState<Search>({ kind: 'offer', q: '', categoryId: '', lat: '', lon: '', radiusKm: '5' });
  const [asked, setAsked] = useState<Search | null>(null);
  const [results, setResults] = useState<Listing[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [places, setPlaces] = useState<Point[]>([]);
  const { failure, busy, run, fail } = useRun(onExpired);
  const people = useDirectory(session, fail);
  const categories = useCategories(session, fail);
  const categoryNames = useMemo(() => new Map(categoryChoices(categories).map((choice) => [choice.id, choice.label])), [categories]);
  const set = <K extends keyof Search>(field: K) => (value: Search[K]) => setSearch((current) => ({ ...current, [field]: value }));

  const find = (wanted: Search, cursor: string | null) =>
    run(async () => {
      const found = await json<Page<Listing>>(session.token, `${base}/${plural(wanted.kind)}?${queryOf(wanted)}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      setResults((shown) => (cursor && shown ? [...shown, ...found.items] : found.items));
      setNextCursor(found.nextCursor);
      setAsked(wanted);
    });
  useEffect(() => {
    void find(search, null);
    // Where the open listings are, for the drawing to choose a point on (rounded, as the API shows them).
    Promise.all((['offer', 'request'] as const).map((kind) => allPages<Listing>(session.token, `${base}/${plural(kind)}?status=open`, 2)))
      .then((lists) => setPlaces(lists.flat().flatMap((listing) => (listing.location ? [listing.location] : []))))
      .catch(fail);
  }, []);
  const submit = (event: Event) => {
    event.preventDefault();
    void find(search, null);
  };
  return (
    <main>
      <h1>{t('tools.browse.title')}</h1>
      <form onSubmit={submit} aria-label={t('tools.search')}>
        <KindChoice name="browse-kind" legend={t('tools.lookingFor')} kind={search.kind} labels={{ offer: t('tools.lookingFor.offers'), request: t('tools.lookingFor.requests') }} onChange={set('kind')} />
        <TextField id="browse-q" label={t('tools.words')} field="q" type="search" value={search.q} onInput={set('q')} failure={failure} />
        <CategorySelect id="browse-category" categories={categories} value={search.categoryId} emptyLabel={t('tools.allCategories')} failure={failure} onChange={set('categoryId')} />
        <NearPoint search={search} places={places} failure={failure} onChange={(change) => setSearch((current) => ({ ...current, ...change }))} />
        <FailureMessage failure={failure} />
        <button type="submit" disabled={busy}>
          {t('tools.search')}
        </button>
      </form>
      <Results results={results} asked={asked} people={people} categoryNames={categoryNames} ownId={session.memberId} />
      {nextCursor && asked && (
        <button type="button" class="secondary" onClick={() => find(asked, nextCursor)} disabled={busy}>
          {t('tools.showMore')}
        </button>
      )}
    </main>
  );
}

type NearProps = { search: Search; places: Point[]; failure: unknown; onChange: (change: Partial<Search>) => void };

/** The point to search around: typed, the browser's location, or chosen on the drawing; and how far from it. */
function NearPoint({ search, places, failure, onChange }: NearProps) {
  const radius = Number(search.radiusKm);
  return (
    <fieldset>
      <legend>{t('tools.near')}</legend>
      <LocationInputs prefix="browse" lat={search.lat} lon={search.lon} failure={failure} fieldPrefix="" onChange={(lat, lon) => onChange({ lat, lon })} />
      <TextField id="browse-radius" label={t('tools.within')} field="radiusKm" inputMode="decimal" value={search.radiusKm} onInput={(radiusKm) => onChange({ radiusKm })} failure={failure} />
      <PointMap points={places} chosen={pointOf(search)} radiusKm={Number.isFinite(radius) ? radius : null} onChoose={(chosen) => onChange({ lat: degrees(chosen.lat), lon: degrees(chosen.lon) })} />
      {(search.lat || search.lon) && (
        <button type="button" class="secondary" onClick={() => onChange({ lat: '', lon: '' })}>
          {t('tools.anywhere')}
        </button>
      )}
    </fieldset>
  );
}

type ResultsProps = { results: Listing[] | null; asked: Search | null; people: Map<string, Person>; categoryNames: Map<string, string>; ownId: string };

function Results({ results, asked, people, categoryNames, ownId }: ResultsProps) {
  const from = asked ? pointOf(asked) : null;
  return (
    <section aria-labelledby="results-heading" aria-live="polite">
      <h2 id="results-heading">{asked?.kind === 'request' ? t('tools.requestsFound') : t('tools.offersFound')}</h2>
      {results === null ? (
        <p aria-busy="true">{t('tools.searching')}</p>
      ) : results.length === 0 ? (
        <p>{t('tools.nothingFound')}</p>
      ) : (
        <ul class="items">
          {results.map((listing) => {
            const owner = people.get(listing.memberId);
            const contact = contactOf(owner);
            const details = [
              listing.memberId === ownId ? t('tools.byYou') : t('tools.by', { name: owner?.displayName ?? t('tools.aMember') }),
              categoryNames.get(listing.categoryId),
              listing.remote ? t('tools.remote') : undefined,
              from && listing.location ? t('tools.distance', { km: Math.round(distanceKm(from, listing.location) * 10) / 10 }) : undefined,
            ].filter(Boolean);
            return (
              <li key={listing.id} data-testid="listing-result" data-listing-id={listing.id}>
                <div>
                  <span class={`tag ${listing.kind}`}>{listing.kind === 'offer' ? t('tools.offer') : t('tools.request')}</span> <strong>{listing.title}</strong>
                  <p class="hint" data-testid="listing-owner">
                    {details.join(' · ')}
                  </p>
                  {listing.description && <p>{listing.description}</p>}
                  {listing.tags.length > 0 && <p class="hint">{t('tools.tags', { tags: listing.tags.join(', ') })}</p>}
                  {contact && <p data-testid="listing-contact">{t('tools.contact', { contact })}</p>}
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
