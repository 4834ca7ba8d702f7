import { aborted } from '../csi.error.js';

const PREFIX = 'piragua1.';
const TOKEN = /^piragua1\.([0-9a-f]{32})$/;

/** ListVolumes paging: a token names the last id of the previous page, so pages stay right when volumes come and go. */
export function listTokenAfter(lastId: string): string {
  return `${PREFIX}${lastId}`;
}

/** The id a page starts after; '' for the first page; ABORTED for a token this plugin did not issue. */
export function startAfter(token: string): string {
  if (token === '') {
    return '';
  }
  const match = TOKEN.exec(token);
  if (!match) {
    throw aborted('starting_token was not issued by this plugin');
  }
  return match[1]!;
}
