import { applyDecorators, Controller, createParamDecorator, ExecutionContext, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiParam,
  ApiSecurity,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { API_KEY_SECURITY } from '../../common/api-key-security';
import { ErrorResponseDto } from '../../common/error-response.dto';
import { User } from '../../database/entities/user.entity';
import { ApiKeyOrSuperuserGuard } from './api-key-or-superuser.guard';
import { AuthenticatedRequest, JwtAuthGuard } from './jwt-auth.guard';
import { SuperuserGuard } from './superuser.guard';

/** Any active user's bearer token. */
export const Authenticated = () =>
  applyDecorators(
    UseGuards(JwtAuthGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing, invalid, expired or revoked token', type: ErrorResponseDto }),
  );

/** A superuser's bearer token; other users get 403 `Admin privileges required`. */
export const SuperuserOnly = () =>
  applyDecorators(
    UseGuards(JwtAuthGuard, SuperuserGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing, invalid, expired or revoked token', type: ErrorResponseDto }),
    ApiForbiddenResponse({ description: 'Admin privileges required', type: ErrorResponseDto }),
  );

/**
 * A controller of the admins' routes about users (`/api/admin/users`), superusers only. Each feature keeps
 * its own (listings, e-mails and lockout, sessions, second factor); they share the path and the tag.
 */
export const AdminUsersRoutes = () =>
  applyDecorators(ApiTags('Admin - User Management'), Controller('api/admin/users'), SuperuserOnly());

/** Documents a route's `{id}` user parameter and the 404 for an unknown or malformed one (parseIdOr404('User')). */
export const UserIdParam = () =>
  applyDecorators(
    ApiParam({ name: 'id', format: 'uuid' }),
    ApiNotFoundResponse({ description: 'Unknown or malformed id', type: ErrorResponseDto }),
  );

/** The authenticated user that the guards put on the request. */
export const CurrentUser = createParamDecorator(
  (_: unknown, context: ExecutionContext): User => context.switchToHttp().getRequest<AuthenticatedRequest>().user!,
);

/** The session of the bearer token that JwtAuthGuard accepted. */
export const CurrentSessionId = createParamDecorator(
  (_: unknown, context: ExecutionContext): string =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().sessionId!,
);

/** The user a guard put on the request, if any (RegistrationModeGuard: the superuser in `admin_only` mode). */
export const OptionalCurrentUser = createParamDecorator(
  (_: unknown, context: ExecutionContext): User | undefined =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().user,
);

/** The SIP proxy's `X-Api-Key`, or a superuser's bearer token. */
export const ApiKeyOrSuperuser = () =>
  applyDecorators(
    UseGuards(ApiKeyOrSuperuserGuard),
    ApiSecurity(API_KEY_SECURITY),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing or wrong API key, or no valid token', type: ErrorResponseDto }),
    ApiForbiddenResponse({ description: 'A token that is not a superuser’s', type: ErrorResponseDto }),
    ApiTooManyRequestsResponse({
      description: 'Too many wrong API keys from this client (API_KEY_RATE_LIMIT); see Retry-After',
      type: ErrorResponseDto,
    }),
  );
