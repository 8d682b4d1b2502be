import { ApiOperation, ApiOperationOptions } from '@nestjs/swagger';

/**
 * ApiOperation with the operation id the route had while one SipSecurityController held every SIP security
 * route: clients generated from the OpenAPI document (the web console's api.d.ts among them) name operations
 * by these ids, so splitting that controller must not rename them.
 */
export const SipSecurityOperation = (handler: string, options: Omit<ApiOperationOptions, 'operationId'>) =>
  ApiOperation({ ...options, operationId: `SipSecurityController_${handler}` });
