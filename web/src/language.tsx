import { LOCALE_NAMES, LOCALES, locale, setLocale, t, type Locale } from './i18n.js';

/**
 * The language picker, in the header and on the login page. The choice is kept (localStorage)
 * and the page is loaded again, so that every word on it, and the navigation's, changes at once.
 */
export function LanguagePicker({ id = 'language' }: { id?: string }) {
  const change = (event: Event) => {
    setLocale((event.currentTarget as HTMLSelectElement).value as Locale);
    location.reload();
  };
  return (
    <span class="language">
      <label for={id}>{t('common.language')}</label>
      <select id={id} value={locale()} onChange={change}>
        {LOCALES.map((each) => (
          <option key={each} value={each} lang={each}>
            {LOCALE_NAMES[each]}
          </option>
        ))}
      </select>
    </span>
  );
}
