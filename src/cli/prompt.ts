import { createInterface } from 'node:readline';

/** Reads one line from the terminal without echoing it. */
export function readHiddenLine(question: string): Promise<string> {
  if (!process.stdin.isTTY) {
    return Promise.reject(new Error('No terminal to ask for the password: set REGSHIELD_ADMIN_PASSWORD'));
  }
  return new Promise((resolve) => {
    const readline = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    const output = readline as unknown as { _writeToOutput: (text: string) => void };
    process.stdout.write(question);
    output._writeToOutput = () => undefined;
    readline.question('', (answer) => {
      readline.close();
      process.stdout.write('\n');
      resolve(answer);
    });
  });
}
