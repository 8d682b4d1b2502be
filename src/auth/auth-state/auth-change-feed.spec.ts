import { PgListenerOptions } from '../../database/pg-listener';
import {
  AUTH_CHANGES_CHANNEL,
  AuthChangeFeed,
  CURRENT_FOR_MS,
  HEARTBEAT_GIVE_UP_MS,
  HEARTBEAT_IDLE_AFTER_MS,
  HEARTBEAT_INTERVAL_MS,
} from './auth-change-feed';

/** A LISTEN connection the test controls: heartbeats come back at once unless it hangs. */
class FakeListener {
  options!: PgListenerOptions;
  hung = false;
  down = false;
  readonly dropConnection = jest.fn();
  start = jest.fn(() => Promise.resolve());
  stop = jest.fn(() => Promise.resolve());

  notify(channel: string, payload: string): Promise<void> {
    if (this.down) return Promise.reject(new Error('LISTEN connection is down'));
    if (this.hung) return new Promise(() => undefined);
    this.options.onNotification(channel, payload);
    return Promise.resolve();
  }
}

describe('AuthChangeFeed', () => {
  let listener: FakeListener;
  let feed: AuthChangeFeed;
  const onChange = jest.fn();
  const onGap = jest.fn();

  async function startFeed(fake: FakeListener): Promise<AuthChangeFeed> {
    const started = new AuthChangeFeed({
      connectionString: 'postgresql://unused',
      onChange,
      onGap,
      onWarning: () => undefined,
      now: () => Date.now(),
      createListener: (options) => {
        fake.options = options;
        return fake;
      },
    });
    await started.start();
    return started;
  }

  beforeEach(async () => {
    jest.useFakeTimers();
    onChange.mockClear();
    onGap.mockClear();
    listener = new FakeListener();
    feed = await startFeed(listener);
  });

  afterEach(async () => {
    await feed.stop();
    jest.useRealTimers();
  });

  it('is current once its own heartbeat came back, and stays so while heartbeats keep coming', async () => {
    expect(feed.isCurrent()).toBe(true);
    await jest.advanceTimersByTimeAsync(CURRENT_FOR_MS * 10);
    expect(feed.isCurrent()).toBe(true);
  });

  it('stops its heartbeats when no one asked for a while, and the first question after that restarts them', async () => {
    const notify = jest.spyOn(listener, 'notify');
    await jest.advanceTimersByTimeAsync(HEARTBEAT_IDLE_AFTER_MS);
    notify.mockClear();
    await jest.advanceTimersByTimeAsync(HEARTBEAT_IDLE_AFTER_MS);
    expect(notify).not.toHaveBeenCalled();
    // Idle, it cannot vouch for its cache: the asker reads the database, and a heartbeat goes out at once.
    expect(feed.isCurrent()).toBe(false);
    expect(notify).toHaveBeenCalledTimes(1);
    expect(feed.isCurrent()).toBe(true);
    await jest.advanceTimersByTimeAsync(CURRENT_FOR_MS * 2);
    expect(feed.isCurrent()).toBe(true);
  });

  it('is not current before its first heartbeat came back', async () => {
    await feed.stop();
    listener = new FakeListener();
    listener.hung = true;
    feed = await startFeed(listener);
    expect(feed.isCurrent()).toBe(false);
  });

  it('stops being current when heartbeats stop coming back (a hung connection), and drops that connection', async () => {
    listener.hung = true;
    await jest.advanceTimersByTimeAsync(HEARTBEAT_INTERVAL_MS);
    expect(feed.isCurrent()).toBe(true);
    await jest.advanceTimersByTimeAsync(CURRENT_FOR_MS);
    expect(feed.isCurrent()).toBe(false);
    expect(listener.dropConnection).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(HEARTBEAT_GIVE_UP_MS);
    expect(listener.dropConnection).toHaveBeenCalledTimes(1);
  });

  it('is current again once a later heartbeat comes back over the same connection', async () => {
    listener.hung = true;
    await jest.advanceTimersByTimeAsync(CURRENT_FOR_MS * 2);
    expect(feed.isCurrent()).toBe(false);
    // The hung heartbeat is given up (its connection dropped), and the next one comes back.
    listener.hung = false;
    await jest.advanceTimersByTimeAsync(HEARTBEAT_GIVE_UP_MS + HEARTBEAT_INTERVAL_MS);
    expect(feed.isCurrent()).toBe(true);
  });

  it('on a broken connection: not current at once, and every cached row is suspect', async () => {
    listener.down = true;
    listener.options.onConnectionLost!();
    expect(feed.isCurrent()).toBe(false);
    expect(onGap).toHaveBeenCalledTimes(1);
  });

  it('after a reconnection: every cached row is suspect until heartbeats prove the new connection current', async () => {
    listener.options.onConnectionLost!();
    onGap.mockClear();
    await listener.options.onReconnect();
    expect(onGap).toHaveBeenCalledTimes(1);
    expect(feed.isCurrent()).toBe(false);
    await jest.advanceTimersByTimeAsync(HEARTBEAT_INTERVAL_MS);
    expect(feed.isCurrent()).toBe(true);
  });

  it('passes `<kind>:<id>` changes on, and takes an unreadable payload as "anything may have changed"', async () => {
    listener.options.onNotification(AUTH_CHANGES_CHANNEL, 'user:0b5e4a52-55a1-4a2b-9d57-7d0c1f1f2a10');
    expect(onChange).toHaveBeenCalledWith('user', '0b5e4a52-55a1-4a2b-9d57-7d0c1f1f2a10');
    listener.options.onNotification(AUTH_CHANGES_CHANNEL, 'garbage');
    listener.options.onNotification(AUTH_CHANGES_CHANNEL, undefined);
    expect(onGap).toHaveBeenCalledTimes(2);
  });

  it('ignores heartbeat payloads it did not send (not a number, or a time still to come)', async () => {
    const heartbeatChannel = listener.options.channels.find((channel) => channel !== AUTH_CHANGES_CHANNEL)!;
    listener.hung = true;
    await jest.advanceTimersByTimeAsync(CURRENT_FOR_MS * 2);
    listener.options.onNotification(heartbeatChannel, String(Date.now() + 60_000));
    listener.options.onNotification(heartbeatChannel, 'now');
    expect(feed.isCurrent()).toBe(false);
  });
});
