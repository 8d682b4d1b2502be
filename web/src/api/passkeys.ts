/**
 * A credential as the browser answered it, for a request body: the API takes WebAuthn's JSON as it is. Its
 * extension results are copied into a plain record, the open object the API's generated type describes.
 */
export function credentialBody<T extends { clientExtensionResults: object }>(
  credential: T,
): Omit<T, 'clientExtensionResults'> & { clientExtensionResults: Record<string, unknown> } {
  const { clientExtensionResults, ...rest } = credential;
  return { ...rest, clientExtensionResults: Object.fromEntries(Object.entries(clientExtensionResults)) };
}
