/** The OpenAPI security scheme of the SIP proxy's X-Api-Key. */
export const API_KEY_SECURITY = 'api-key';
