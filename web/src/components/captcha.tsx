import { Challenge, solveChallengeWorkers } from 'altcha-lib';
import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';

/**
 * The CAPTCHA's state: `off` (the service answers `GET /api/auth/captcha` with 404), `solving`, `solved` with
 * the payload to send as the body's `captcha`, or `failed`.
 */
export type CaptchaState =
  { status: 'checking' | 'off' | 'solving' | 'failed'; payload?: undefined } | { status: 'solved'; payload: string };

export interface Captcha {
  state: CaptchaState;
  /** A payload is single use: call after every submission that sent one. */
  renew: () => void;
}

const WORKERS = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));

async function solve(challenge: Challenge): Promise<string> {
  const solution = await solveChallengeWorkers({
    challenge,
    concurrency: WORKERS,
    createWorker: () => new Worker(new URL('./captcha-worker.ts', import.meta.url), { type: 'module' }),
  });
  if (!solution) throw new Error('The challenge could not be solved');
  return btoa(JSON.stringify({ challenge, solution: { counter: solution.counter, derivedKey: solution.derivedKey } }));
}

/**
 * Self-hosted ALTCHA proof of work (CAPTCHA=altcha): fetches a challenge and solves it in Web Workers with
 * altcha-lib, as soon as the form appears, so the payload is usually ready before the form is filled in.
 */
export function useCaptcha(): Captcha {
  const [state, setState] = useState<CaptchaState>({ status: 'checking' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    void (async () => {
      try {
        const { data, response } = await api.GET('/api/auth/captcha');
        if (!current) return;
        if (response.status === 404) return setState({ status: 'off' });
        if (!data) return setState({ status: 'failed' });
        setState({ status: 'solving' });
        const payload = await solve(data);
        if (current) setState({ status: 'solved', payload });
      } catch {
        if (current) setState({ status: 'failed' });
      }
    })();
    return () => {
      current = false;
    };
  }, [round]);
  const renew = useCallback(() => {
    setState((previous) => (previous.status === 'off' ? previous : { status: 'checking' }));
    setRound((previous) => previous + 1);
  }, []);
  return { state, renew };
}

const MESSAGES: Record<CaptchaState['status'], string> = {
  checking: '',
  off: '',
  solving: 'Checking that you are not a robot… (your browser solves a small puzzle)',
  solved: 'Verified: you are not a robot.',
  failed: 'The anti-robot check failed.',
};

/** The CAPTCHA's progress, announced politely; nothing when it is off. */
export function CaptchaStatus({ captcha }: { captcha: Captcha }) {
  const { status } = captcha.state;
  if (status === 'off') return null;
  return (
    <div className={`captcha ${status}`}>
      <p role="status">{MESSAGES[status]}</p>
      {status === 'failed' && (
        <button type="button" onClick={captcha.renew}>
          Try the anti-robot check again
        </button>
      )}
    </div>
  );
}
