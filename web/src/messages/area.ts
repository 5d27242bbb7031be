/**
 * One area's catalogue: English, and every other language with exactly English's ids (the
 * compiler checks the ids; test/web/catalogues.test.ts checks the placeholders).
 */
export type Area<E extends Record<string, string>> = { en: E; es: Record<keyof E, string>; ca: Record<keyof E, string>; fr: Record<keyof E, string> };

export const area = <E extends Record<string, string>>(catalogue: Area<E>): Area<E> => catalogue;
