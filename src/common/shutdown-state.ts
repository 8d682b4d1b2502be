import { Injectable } from '@nestjs/common';

/**
 * Whether this instance is on its way out. During the drain delay that follows a shutdown signal the instance
 * still serves every request, but `/health` answers 503 so that a load balancer stops sending it new ones
 * before it stops listening: requests it would otherwise refuse (a POST is never replayed elsewhere) never
 * arrive.
 */
@Injectable()
export class ShutdownState {
  private leaving = false;
  private readonly drainingListeners: Array<() => void> = [];

  get draining(): boolean {
    return this.leaving;
  }

  beginDraining(): void {
    if (this.leaving) return;
    this.leaving = true;
    for (const listener of this.drainingListeners) listener();
  }

  /** Called once the drain begins: what holds a connection open forever (a live stream) ends it then. */
  onDraining(listener: () => void): void {
    this.drainingListeners.push(listener);
  }
}
