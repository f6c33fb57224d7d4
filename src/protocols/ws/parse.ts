import type { ClientMessage, ClientMessageType } from './messages.js';

/** The string fields each client message type must have (nothing else is read). */
const FIELDS: Readonly<Record<ClientMessageType, readonly string[]>> = {
  login: ['user', 'password'],
  say: ['room', 'text'],
  action: ['room', 'text'],
  private: ['to', 'text'],
  join: ['room'],
  part: ['room'],
  topic: ['room', 'text'],
  command: ['room', 'line'],
  history: ['room'],
  presence: [],
  stats: [],
};

/**
 * One text frame -> a client message, or why not. Never throws: invalid JSON, a non-object, an
 * unknown `type`, a required field that is not a string, or an optional number that is not one
 * (`history`'s `before` and `limit`) is a `bad-message` error for the session to send back, never
 * an exception.
 */
export function parseClientMessage(text: string): ClientMessage | { readonly error: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { error: 'Not JSON.' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { error: 'Expected a JSON object.' };
  const record = data as Record<string, unknown>;
  const type = record['type'];
  if (typeof type !== 'string' || !Object.hasOwn(FIELDS, type)) return { error: `Unknown message type ${JSON.stringify(String(type).slice(0, 32))}.` };
  for (const field of FIELDS[type as ClientMessageType]) {
    if (typeof record[field] !== 'string') return { error: `"${type}" needs "${field}" as a string.` };
  }
  if (type === 'history') {
    const { before, limit } = record;
    if (before !== undefined && !(typeof before === 'number' && Number.isFinite(before) && before >= 0)) return { error: '"history" takes "before" as a time in ms (a number, 0 or more).' };
    if (limit !== undefined && !(Number.isSafeInteger(limit) && (limit as number) >= 1)) return { error: '"history" takes "limit" as a whole number, 1 or more.' };
  }
  return record as unknown as ClientMessage;
}
