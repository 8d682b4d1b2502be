/** The superuser behind an admin request, as the security log records them. */
export interface AdminActor {
  id: string;
  /** The client address of the request. */
  ip: string;
}
