/**
 * The logging interface the chat logic uses. One line per event: `[TAG] text` in the seed's forms
 * (`[CONNECTED] user1 from ('127.0.0.1', 62540)`), or one JSON object per line. Implemented by
 * src/server/log.ts. MUST NOT block: implementations buffer and write once per event-loop turn.
 */
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  /** A tagged event. `text` is the human form after the tag; `fields` the same facts for JSON. */
  event(tag: string, text: string, fields?: LogFields): void;
  /** Per-message lines ([MESSAGE]); a no-op with --log-messages off. */
  message(tag: string, text: string, fields?: LogFields): void;
  /** Errors are printed even with --quiet. */
  error(tag: string, text: string, fields?: LogFields): void;
}

/** Drops everything: for tests and in-process tools. */
export const silentLogger: Logger = {
  event() {},
  message() {},
  error() {},
};
