/** How long one JSON-RPC call may take before the proxy counts as unreachable. */
const RPC_TIMEOUT_MS = 2000;

/** Kamailio's answer for a key that is not in the table (htable.get, htable.delete). */
const MISSING_KEY = /doesn't exist/i;

export class KamailioRpcError extends Error {}

interface JsonRpcAnswer {
  result?: unknown;
  error?: { code: number; message: string };
}

/**
 * The few htable commands of Kamailio's jsonrpcs module (over xhttp) that keep its in-memory ban tables in
 * step with ours. One instance per proxy URL; calls are plain HTTP POSTs.
 */
export class KamailioRpcClient {
  private nextId = 1;

  constructor(readonly url: string) {}

  /** Sets a string item; with ttlSeconds it expires then, without it gets the table's autoexpire. */
  async setString(table: string, key: string, value: string, ttlSeconds?: number): Promise<void> {
    if (ttlSeconds === undefined) {
      await this.call('htable.sets', [table, key, value]);
    } else {
      await this.call('htable.setxs', [table, key, value, Math.max(1, Math.ceil(ttlSeconds))]);
    }
  }

  /** Removes an item; a key that is already gone (expired) is not an error. */
  async delete(table: string, key: string): Promise<void> {
    await this.call('htable.delete', [table, key], true);
  }

  /** The item's value, or undefined when the key is not there. */
  async get(table: string, key: string): Promise<string | undefined> {
    // htable items hold a string or an integer.
    const result = (await this.call('htable.get', [table, key], true)) as
      { item?: { value?: string | number } } | undefined;
    const value = result?.item?.value;
    return value === undefined ? undefined : String(value);
  }

  /** Reloads the table from the database view it was first loaded from: one call however many keys change. */
  async reload(table: string): Promise<void> {
    await this.call('htable.reload', [table]);
  }

  /** Every key in the table. */
  async keys(table: string): Promise<string[]> {
    const result = (await this.call('htable.dump', [table])) as Array<{ slot?: Array<{ name: string }> }>;
    return result.flatMap((entry) => (entry.slot ?? []).map((item) => item.name));
  }

  private async call(method: string, params: unknown[], missingKeyIsUndefined = false): Promise<unknown> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method, params, id: this.nextId++ }),
      signal: AbortSignal.timeout(RPC_TIMEOUT_MS),
    });
    // jsonrpcs answers a JSON-RPC error (a missing key among them) with HTTP 500 and the error in the body.
    const answer = (await response.json().catch(() => undefined)) as JsonRpcAnswer | undefined;
    if (answer === undefined || (!response.ok && !answer.error)) {
      throw new KamailioRpcError(`${method}: HTTP ${response.status}`);
    }
    if (answer.error) {
      if (missingKeyIsUndefined && MISSING_KEY.test(answer.error.message)) return undefined;
      throw new KamailioRpcError(`${method}: ${answer.error.message}`);
    }
    return answer.result;
  }
}
