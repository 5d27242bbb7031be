import { useEffect, useState } from 'preact/hooks';
import { json, onFailure, type Session } from '../api.js';
import { FailureMessage } from '../forms.js';
import { locale, t } from '../i18n.js';
import { baseOf, Choice, Done, Field, useAction } from './common.js';

/* The two-level category taxonomy: add a category or a sub-category, rename one. */

type Category = { id: string; name: string; parentId: string | null };
type Props = { session: Session; onExpired: () => void };

export function Categories({ session, onExpired }: Props) {
  const [categories, setCategories] = useState<Category[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    json<{ items: Category[] }>(session.token, `${baseOf(session)}/categories`)
      .then((found) => setCategories(found.items))
      .catch(onFailure(onExpired, setError));
  }, [version]);
  const changed = () => setVersion((value) => value + 1);
  const byName = (a: Category, b: Category) => a.name.localeCompare(b.name, locale());
  const tops = (categories ?? []).filter((category) => category.parentId === null).sort(byName);
  const childrenOf = (parentId: string) => (categories ?? []).filter((category) => category.parentId === parentId).sort(byName);
  return (
    <section aria-labelledby="categories-heading">
      <h2 id="categories-heading">{t('settings.categories')}</h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {categories && (
        <ul class="categories" aria-label={t('settings.categories')}>
          {tops.map((top) => (
            <li key={top.id}>
              <CategoryName session={session} onExpired={onExpired} category={top} onRenamed={changed} />
              <ul>
                {childrenOf(top.id).map((child) => (
                  <li key={child.id}>
                    <CategoryName session={session} onExpired={onExpired} category={child} onRenamed={changed} />
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
      <AddCategory session={session} onExpired={onExpired} tops={tops} onAdded={changed} />
    </section>
  );
}

function CategoryName({ session, onExpired, category, onRenamed }: Props & { category: Category; onRenamed: () => void }) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(category.name);
  const { failure, busy, run } = useAction(onExpired);
  if (!editing) {
    return (
      <span data-testid="category">
        {category.name}{' '}
        <button type="button" class="link" onClick={() => setEditing(true)} aria-label={t('settings.renameLabel', { name: category.name })}>
          {t('settings.rename')}
        </button>
      </span>
    );
  }
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      await json(session.token, `${baseOf(session)}/categories/${category.id}`, { method: 'PATCH', body: { name } });
      setEditing(false);
      onRenamed();
    });
  };
  return (
    <form onSubmit={submit} noValidate class="inline-form" aria-label={t('settings.renameLabel', { name: category.name })}>
      <Field id={`rename-${category.id}`} label={t('settings.newName', { name: category.name })} field="name" failure={failure} value={name} onInput={setName} />
      <FailureMessage failure={failure} />
      <span class="actions">
        <button type="submit" disabled={busy}>
          {t('settings.save')}
        </button>
        <button type="button" class="secondary" onClick={() => setEditing(false)}>
          {t('settings.cancel')}
        </button>
      </span>
    </form>
  );
}

function AddCategory({ session, onExpired, tops, onAdded }: Props & { tops: Category[]; onAdded: () => void }) {
  const [name, setName] = useState('');
  const [parentId, setParentId] = useState('');
  const { failure, done, busy, run } = useAction(onExpired);
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const created = await json<Category>(session.token, `${baseOf(session)}/categories`, { method: 'POST', body: { name, ...(parentId ? { parentId } : {}) } });
      setName('');
      onAdded();
      return t('settings.categoryAdded', { name: created.name });
    });
  };
  return (
    <form onSubmit={submit} noValidate class="card" aria-labelledby="add-category-heading">
      <h3 id="add-category-heading">{t('settings.addCategory')}</h3>
      <Field id="category-name" label={t('settings.name')} field="name" failure={failure} value={name} onInput={setName} />
      <Choice id="category-parent" label={t('settings.under')} field="parentId" failure={failure} value={parentId} onChange={setParentId}>
        <option value="">{t('settings.topLevel')}</option>
        {tops.map((top) => (
          <option key={top.id} value={top.id}>
            {top.name}
          </option>
        ))}
      </Choice>
      <FailureMessage failure={failure} />
      <Done message={done} />
      <button type="submit" disabled={busy}>
        {t('settings.addCategorySubmit')}
      </button>
    </form>
  );
}
