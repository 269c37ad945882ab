import { v7 as uuidv7, validate, version } from 'uuid';

/** Time-ordered ids keep inserts index-friendly and make id order usable for cursor pagination. */
export function newId(): string {
  return uuidv7();
}

export function isId(value: string): boolean {
  return validate(value);
}

export function isTimeOrderedId(value: string): boolean {
  return validate(value) && version(value) === 7;
}
