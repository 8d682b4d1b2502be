import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { FastifyReply } from 'fastify';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from './database-unavailable';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  /** Extra fields an exception was thrown with, e.g. login's `mfa_required`. */
  [field: string]: unknown;
}

/**
 * Gives every error the contract's shape `{statusCode, error, message}`; a database that cannot answer
 * becomes 503 with Retry-After; anything else unexpected becomes a bare 500 whose details go to the log,
 * never to the client.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const body = this.toBody(exception);
    if (body.statusCode === Number(HttpStatus.SERVICE_UNAVAILABLE)) {
      // Every 503 (the database, /health) is temporary: tell clients and balancers when to come back.
      void reply.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
    } else if (body.statusCode >= 500) {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    void reply.status(body.statusCode).send(body);
  }

  private toBody(exception: unknown): ErrorBody {
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`Database unavailable: ${exception instanceof Error ? exception.message : String(exception)}`);
      return { statusCode: HttpStatus.SERVICE_UNAVAILABLE, error: STATUS_CODES[503]!, message: 'Database unavailable' };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      if (typeof response === 'string') {
        return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message: response };
      }
      const { statusCode: _, error: __, message, ...extra } = response as Record<string, unknown>;
      return {
        statusCode: status,
        error: STATUS_CODES[status] ?? 'Error',
        message: (message as string | string[] | undefined) ?? exception.message,
        ...extra,
      };
    }
    // Fastify's own errors (body too large, malformed JSON, unsupported media type) carry a 4xx statusCode.
    const status = (exception as { statusCode?: unknown } | null)?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return {
        statusCode: status,
        error: STATUS_CODES[status] ?? 'Error',
        message: (exception as Error).message,
      };
    }
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: STATUS_CODES[500]!,
      message: 'Internal server error',
    };
  }
}
