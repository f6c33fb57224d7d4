// The parts of irc-framework (npm, no types of its own) the IRC integration tests use.
declare module 'irc-framework' {
  export interface ConnectOptions {
    host: string;
    port: number;
    nick: string;
    username?: string;
    gecos?: string;
    /** Sent as PASS, and used for SASL too unless `account` is given. */
    password?: string;
    /** SASL credentials; an empty object turns SASL off. */
    account?: { account?: string; password?: string };
    auto_reconnect?: boolean;
    enable_echomessage?: boolean;
  }
  export interface RawEvent {
    readonly line: string;
    readonly from_server: boolean;
  }
  export interface MessageEvent {
    readonly type: 'privmsg' | 'action' | 'notice';
    readonly nick: string;
    readonly target: string;
    readonly message: string;
  }
  export class Client {
    constructor(options?: Partial<ConnectOptions>);
    connect(options: ConnectOptions): void;
    on(event: 'raw', listener: (e: RawEvent) => void): this;
    on(event: 'registered', listener: (e: { nick: string }) => void): this;
    on(event: 'message', listener: (e: MessageEvent) => void): this;
    on(event: 'close' | 'socket close', listener: () => void): this;
    on(event: string, listener: (e: unknown) => void): this;
    join(channel: string): void;
    part(channel: string, message?: string): void;
    say(target: string, message: string): void;
    action(target: string, message: string): void;
    raw(line: string): void;
    quit(message?: string): void;
    readonly user: { nick: string };
  }
  /** A CommonJS module: its exports object is the default import. */
  const framework: { Client: typeof Client };
  export default framework;
}
