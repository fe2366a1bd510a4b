/**
 * A module of the build (`dist/`, what `npm start` runs; `npm run bench` builds it first), typed by
 * its source: `const { createApp } = await built<typeof import('../../src/app.js')>('app.js')`.
 * Servers under test load the build, not the sources through tsx: tsx keeps function names with a
 * `defineProperty` per function, which turns every per-connection closure into a dictionary-mode
 * object (+256 bytes each) that production never has.
 */
export const built = <T>(path: string): Promise<T> => import(new URL(`../../dist/${path}`, import.meta.url).href) as Promise<T>
