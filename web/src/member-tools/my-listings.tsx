import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { allPages, json } from '../api.js';
import { date } from '../format.js';
import { FailureMessage } from '../forms.js';
import type { PageProps } from '../pages.js';
import { categoryChoices, plural, timebankPath, useCategories, useRun, type Listing } from './common.js';
import { ListingForm } from './listing-form.js';
import { Saved } from './own-record.js';

/*
 * The member's own offers and requests: post new ones, edit them, close them (they leave
 * searches and matching) and open them again.
 */

export function MyListingsPage({ session, onExpired }: PageProps) {
  const base = timebankPath(session);
  const [listings, setListings] = useState<Listing[] | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const { failure, run, fail } = useRun(onExpired);
  const categories = useCategories(session, fail);
  const categoryNames = useMemo(() => new Map(categoryChoices(categories).map((choice) => [choice.id, choice.label])), [categories]);

  const load = () =>
    run(async () => {
      const [offers, requests] = await Promise.all(
        (['offer', 'request'] as const).map((kind) => allPages<Listing>(session.token, `${base}/${plural(kind)}?memberId=${session.memberId}`, 2)),
      );
      // Open ones first, newest first within each.
      const all = [...offers!, ...requests!].sort((left, right) => (left.status === right.status ? right.createdAt.localeCompare(left.createdAt) : left.status === 'open' ? -1 : 1));
      setListings(all);
    });
  useEffect(() => {
    void load();
  }, []);

  const saved = (listing: Listing, verb: string) => {
    setEditing(null);
    setDone(`${verb}: “${listing.title}”.`);
    void load();
  };
  const setStatus = (listing: Listing, status: 'open' | 'closed') =>
    run(async () => {
      const changed = await json<Listing>(session.token, `${base}/${plural(listing.kind)}/${listing.id}`, { method: 'PATCH', body: { status } });
      saved(changed, status === 'closed' ? 'Closed, and no longer shown in searches or matches' : 'Open again');
    });

  return (
    <main>
      <h1>My offers and requests</h1>
      <p>
        Others find your open offers and requests when they search. <a href="#/matches">See who matches them</a>.
      </p>
      <Saved done={done} />
      <FailureMessage failure={failure} />
      <section aria-labelledby="mine-heading">
        <h2 id="mine-heading">Posted</h2>
        {listings === null ? (
          <p aria-busy="true">Loading…</p>
        ) : listings.length === 0 ? (
          <p>You have not posted anything yet.</p>
        ) : (
          <ul class="items">
            {listings.map((listing) => (
              <ListingItem
                key={listing.id}
                listing={listing}
                categoryName={categoryNames.get(listing.categoryId) ?? ''}
                editing={editing === listing.id}
                onEdit={() => setEditing(editing === listing.id ? null : listing.id)}
                onStatus={(status) => setStatus(listing, status)}
              >
                <ListingForm session={session} categories={categories} listing={listing} onSaved={(changed) => saved(changed, 'Saved')} onCancel={() => setEditing(null)} onExpired={onExpired} />
              </ListingItem>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="post-heading" class="card">
        <h2 id="post-heading">Post an offer or a request</h2>
        <ListingForm session={session} categories={categories} onSaved={(created) => saved(created, created.kind === 'offer' ? 'Offer posted' : 'Request posted')} onExpired={onExpired} />
      </section>
    </main>
  );
}

type ItemProps = {
  listing: Listing;
  categoryName: string;
  editing: boolean;
  onEdit: () => void;
  onStatus: (status: 'open' | 'closed') => void;
  /** The edit form, shown while editing. */
  children: ComponentChildren;
};

function ListingItem({ listing, categoryName, editing, onEdit, onStatus, children }: ItemProps) {
  return (
    <li data-testid="my-listing" data-listing-id={listing.id} data-status={listing.status}>
      <span>
        <span class={`tag ${listing.kind}`}>{listing.kind === 'offer' ? 'I offer' : 'I need'}</span> <strong>{listing.title}</strong>
        <span class="hint">
          {' '}
          · {categoryName} · {listing.status === 'open' ? 'open' : 'closed'}
          {listing.expiresAt ? ` until ${date(listing.expiresAt)}` : ''}
        </span>
      </span>
      <span class="actions">
        <button type="button" class="secondary" onClick={onEdit} aria-expanded={editing}>
          Edit
        </button>
        {listing.status === 'open' ? (
          <button type="button" class="secondary" onClick={() => onStatus('closed')}>
            Close
          </button>
        ) : (
          <button type="button" class="secondary" onClick={() => onStatus('open')}>
            Reopen
          </button>
        )}
      </span>
      {editing && <div class="card wide-item">{children}</div>}
    </li>
  );
}
