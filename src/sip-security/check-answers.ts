/** An answer of check/{ip}, as BanIndexService gives it. */
export interface RememberedCheck {
  /** Of the ban found, if any: the answer holds until then. */
  expiresAt: Date | null;
}

/**
 * check/{ip} answers by the exact text asked, kept until the indexes change (the owner clears them) or the
 * ban an answer found expires. The proxy asks about the same sources again and again, and parsing and
 * printing an address cost several times the lookup itself. At most `capacity` answers are kept, the
 * oldest dropped first, so that a sweep over many addresses cannot grow it without bound.
 */
export class CheckAnswers<T extends RememberedCheck> {
  private readonly answers = new Map<string, T>();

  constructor(private readonly capacity: number) {}

  /** The answer for this text, unless none is kept or its ban has expired by `now` (epoch milliseconds). */
  get(text: string, now: number): T | undefined {
    const answer = this.answers.get(text);
    if (answer === undefined) return undefined;
    if (answer.expiresAt !== null && answer.expiresAt.getTime() <= now) {
      this.answers.delete(text);
      return undefined;
    }
    return answer;
  }

  remember(text: string, answer: T): void {
    if (this.answers.size >= this.capacity) {
      const oldest = this.answers.keys().next();
      if (!oldest.done) this.answers.delete(oldest.value);
    }
    this.answers.set(text, answer);
  }

  clear(): void {
    this.answers.clear();
  }

  get size(): number {
    return this.answers.size;
  }
}
