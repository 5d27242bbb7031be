import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { allPages, json } from '../api.js';
import { date } from '../format.js';
import { FailureMessage } from '../forms.js';
import { t } from '../i18n.js';
import type { MessageId } from '../messages/index.js';
import type { PageProps } from '../pages.js';
import { categoryChoices, plural, timebankPath, useCategories, useDirectory, useRun, type Listing } from './common.js';
import { RequestStage, stageLabel, type RequestListing } from './request-stage.js';
import { rich } from '../rich.js';
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
  // Whom a request is agreed with: chosen from, and named by, the directory.
  const people = useDirectory(session, fail);

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

  const saved = (listing: Listing, message: MessageId) => {
    setEditing(null);
    setDone(t(message, { title: listing.title }));
    void load();
  };
  const setStatus = (listing: Listing, status: 'open' | 'closed') =>
    run(async () => {
      const changed = await json<Listing>(session.token, `${base}/${plural(listing.kind)}/${listing.id}`, { method: 'PATCH', body: { status } });
      saved(changed, status === 'closed' ? 'listings.closed' : 'listings.reopened');
    });
  const needMoved = (changed: RequestListing) => {
    setEditing(null);
    setDone(t('needs.action.done', { title: changed.title, stage: stageLabel(changed, people) }));
    void load();
  };

  return (
    <main>
      <h1>{t('app.page.listings')}</h1>
      <p>{rich('listings.about', { link: <a href="#/matches">{t('listings.seeMatches')}</a> })}</p>
      <Saved done={done} />
      <FailureMessage failure={failure} />
      <section aria-labelledby="mine-heading">
        <h2 id="mine-heading">{t('listings.posted')}</h2>
        {listings === null ? (
          <p aria-busy="true">{t('listings.loading')}</p>
        ) : listings.length === 0 ? (
          <p>{t('listings.none')}</p>
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
                need={listing.kind === 'request' ? { label: stageLabel(listing, people), actions: <RequestStage session={session} request={listing} people={people} run={run} onChanged={needMoved} /> } : undefined}
              >
                <ListingForm session={session} categories={categories} listing={listing} onSaved={(changed) => saved(changed, 'listings.saved')} onCancel={() => setEditing(null)} onExpired={onExpired} />
              </ListingItem>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="post-heading" class="card">
        <h2 id="post-heading">{t('listings.post')}</h2>
        <ListingForm session={session} categories={categories} onSaved={(created) => saved(created, created.kind === 'offer' ? 'listings.offerPosted' : 'listings.requestPosted')} onExpired={onExpired} />
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
  /** A request's stage in words, and the moves it allows, in place of closing and reopening. */
  need?: { label: string; actions: ComponentChildren } | undefined;
  /** The edit form, shown while editing. */
  children: ComponentChildren;
};

function ListingItem({ listing, categoryName, editing, onEdit, onStatus, need, children }: ItemProps) {
  return (
    <li data-testid="my-listing" data-listing-id={listing.id} data-status={listing.status}>
      <span>
        <span class={`tag ${listing.kind}`}>{listing.kind === 'offer' ? t('tools.iOffer') : t('tools.iNeed')}</span> <strong>{listing.title}</strong>
        <span class="hint">
          {' · '}
          {categoryName} · {need ? need.label : listing.status === 'open' ? t('listings.open') : t('listings.closedState')}
          {listing.expiresAt ? ` ${t('listings.until', { date: date(listing.expiresAt) })}` : ''}
        </span>
      </span>
      <span class="actions">
        <button type="button" class="secondary" onClick={onEdit} aria-expanded={editing}>
          {t('listings.edit')}
        </button>
        {need ? (
          need.actions
        ) : listing.status === 'open' ? (
          <button type="button" class="secondary" onClick={() => onStatus('closed')}>
            {t('listings.close')}
          </button>
        ) : (
          <button type="button" class="secondary" onClick={() => onStatus('open')}>
            {t('listings.reopen')}
          </button>
        )}
      </span>
      {editing && <div class="card wide-item">{children}</div>}
    </li>
  );
}
