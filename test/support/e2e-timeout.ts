// Each e2e file starts at least one app on a database of its own, and its migrations alone can take a few
// seconds on a loaded 2-core machine: Jest's default 5 s per hook or test is too tight there. Files that
// need more still say so themselves.
jest.setTimeout(30_000);
