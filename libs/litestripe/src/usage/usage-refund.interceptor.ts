import { CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor } from '@nestjs/common';
import { catchError, from, mergeMap, Observable, throwError } from 'rxjs';
import { guardedRequestOf } from '../access/guarded-request.js';
import { consumptionsOf } from './request-consumptions.js';

/**
 * Gives back the units `@UsageLimit()` took when the handler fails with a server error (a 5xx, or
 * any error that is not an `HttpException`): the account did not get what it paid for. Client errors
 * (4xx) keep them, as does `keepOnError`. `@UsageLimit()` applies it.
 */
@Injectable()
export class UsageRefundInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        const request = guardedRequestOf(context);
        const refunds = request && isServerError(error) ? (consumptionsOf(request) ?? []).filter(({ requirement }) => !requirement.keepOnError) : [];
        if (refunds.length === 0) return throwError(() => error);
        return from(Promise.allSettled(refunds.map(({ consumption }) => consumption.release()))).pipe(mergeMap(() => throwError(() => error)));
      }),
    );
  }
}

function isServerError(error: unknown): boolean {
  return !(error instanceof HttpException) || error.getStatus() >= 500;
}
