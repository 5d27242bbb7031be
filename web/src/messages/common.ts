import { area } from './area.js';

/* Strings every page shares: the language picker, generic failures. */

export const common = area({
  en: {
    'common.language': 'Language',
    'common.somethingWrong': 'Something went wrong. Please try again.',
  },
  es: { 'common.language': 'Idioma', 'common.somethingWrong': 'Algo ha ido mal. Inténtalo de nuevo.' },
  ca: { 'common.language': 'Idioma', 'common.somethingWrong': 'Alguna cosa ha anat malament. Torna-ho a provar.' },
  fr: { 'common.language': 'Langue', 'common.somethingWrong': 'Une erreur s’est produite. Veuillez réessayer.' },
});
