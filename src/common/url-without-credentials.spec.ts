import { urlWithoutCredentials } from './url-without-credentials';

describe('urlWithoutCredentials', () => {
  it('drops the user and password, keeping the rest', () => {
    expect(urlWithoutCredentials('http://kam:s3cret@10.0.0.5:5071/RPC')).toBe('http://10.0.0.5:5071/RPC');
  });

  it('leaves a URL without credentials, and a value that is not a URL, as they are', () => {
    expect(urlWithoutCredentials('http://127.0.0.1:5071/RPC')).toBe('http://127.0.0.1:5071/RPC');
    expect(urlWithoutCredentials('not a url')).toBe('not a url');
  });
});
