import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { InjectConfig } from '../../config/config.module';
import { User } from '../../database/entities/user.entity';
import { ACTIVE_SESSION_COLUMNS, ActiveSession, SessionsRepository } from '../../sessions/sessions.repository';
import { UsersRepository } from '../users.repository';
import { AuthChangeFeed } from './auth-change-feed';
import { CachedState } from './cached-state';
import { LocalWritesSubscriber } from './local-writes.subscriber';

/**
 * The state every authenticated request checks (the token's user and session), kept in memory on every instance so that
 * the check costs no query, yet never older than the contract allows: a change is seen at once by the
 * instance that made it (LocalWritesSubscriber) and within 1 s by every other (AuthChangeFeed: the tables'
 * triggers notify `regshield_auth`). While the feed cannot prove itself current, every read goes to the
 * database.
 */
@Injectable()
export class AuthStateCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuthStateCache.name);
  private readonly feed: AuthChangeFeed;
  private readonly users: CachedState<User>;
  private readonly sessions: CachedState<ActiveSession>;

  constructor(
    private readonly usersRepository: UsersRepository,
    private readonly sessionsRepository: SessionsRepository,
    @InjectDataSource() dataSource: DataSource,
    @InjectConfig() config: AppConfig,
  ) {
    this.feed = new AuthChangeFeed({
      connectionString: (dataSource.options as { url: string }).url,
      onChange: (kind, id) => this.changed(kind, id),
      onGap: () => this.flush(),
      onWarning: (message) => this.logger.warn(message),
    });
    const options = {
      maxEntries: config.authCache.maxEntries,
      ttlMs: config.authCache.ttlSeconds * 1000,
      isCurrent: () => this.feed.isCurrent(),
    };
    this.users = new CachedState<User>(options);
    this.sessions = new CachedState<ActiveSession>(options);
    dataSource.subscribers.push(
      new LocalWritesSubscriber([
        { name: 'users', state: this.users },
        { name: 'sessions', state: this.sessions, cachedColumns: ACTIVE_SESSION_COLUMNS },
      ]),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.feed.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.feed.stop();
  }

  /** The user (without the password hash), or null when there is none. */
  user(id: string): Promise<User | null> {
    return this.users.get(id, (userId) => this.usersRepository.loadById(userId));
  }

  /**
   * The session if it is active: unrevoked (as loaded) and unexpired (checked at each use, as expiry
   * changes no row and so notifies nothing); null otherwise.
   */
  async session(id: string): Promise<ActiveSession | null> {
    return activeOrNull(
      await this.sessions.get(id, (sessionId) => this.sessionsRepository.findActiveSession(sessionId)),
    );
  }

  /** The user if memory holds it; undefined when it must be loaded (user()). */
  cachedUser(id: string): User | undefined {
    return this.users.peek(id);
  }

  /** As session(), if memory holds the session; undefined when it must be loaded. */
  cachedSession(id: string): ActiveSession | null | undefined {
    const session = this.sessions.peek(id);
    return session === undefined ? undefined : activeOrNull(session);
  }

  private changed(kind: string, id: string): void {
    if (kind === 'user') {
      this.users.invalidate(id);
    } else if (kind === 'session') {
      this.sessions.invalidate(id);
    } else {
      // A kind this version does not know (a newer instance's table): assume the worst.
      this.flush();
    }
  }

  private flush(): void {
    this.users.flush();
    this.sessions.flush();
  }
}

/** Expiry changes no row and so notifies nothing: it is checked at each use. */
function activeOrNull(session: ActiveSession | null): ActiveSession | null {
  return session !== null && session.expiresAt.getTime() > Date.now() ? session : null;
}
