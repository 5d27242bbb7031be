import { v7 as uuidv7 } from 'uuid';

/** Time-ordered ids (UUIDv7): new rows append to the end of every index. */
export function newId(): string {
  return uuidv7();
}
