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

  get draining(): boolean {
    return this.leaving;
  }

  beginDraining(): void {
    this.leaving = true;
  }
}
