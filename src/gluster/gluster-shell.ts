import { execa, type ResultPromise } from 'execa';

/** gluster's interactive tokenizer splits on blanks and knows no quoting: other words go through a process of their own. */
const SHELL_WORD = /^[^\s"'\\]+$/;
const ANSWER_END = '</cliOutput>';

const SHELL_OPTIONS = {
  buffer: false,
  env: { LC_ALL: 'C' },
  reject: false,
  // Its greeting, and the usage text it ends with on a command it cannot parse.
  stderr: 'ignore',
  stdin: 'pipe',
} as const;

interface Pending {
  resolve: (stdout: string | undefined) => void;
  timer: NodeJS.Timeout;
}

/**
 * One long-lived `gluster --mode=script --xml`, fed one command per line on stdin: starting the CLI
 * is most of a `quota limit-usage`'s cost (README, "Benchmarks"), so the changes creates and deletes
 * need go through here. Each command's answer is one XML document. Runs one command at a time; the
 * caller queues.
 */
export class GlusterShell {
  private child?: ResultPromise<typeof SHELL_OPTIONS>;
  private output = '';
  private pending?: Pending;

  /**
   * @param patienceMs How long a command may take to be answered. A shell whose glusterd is gone
   *   waits for it silently, where a process of its own would report it at once.
   */
  constructor(
    private readonly cli: string,
    private readonly patienceMs: number,
  ) {}

  /**
   * The XML answer to `args` (gluster's words, without `--mode=script` and `--xml`), or undefined
   * when the shell gives none: a word it cannot take, the shell ended (as gluster's does on a usage
   * error), or no answer within the patience (the shell is then stopped). The caller then runs the
   * command as a process of its own, which reports why; every command sent here is safe to repeat.
   */
  async run(args: string[]): Promise<string | undefined> {
    if (this.pending) {
      throw new Error('GlusterShell runs one command at a time');
    }
    if (!args.every((word) => SHELL_WORD.test(word))) {
      return undefined;
    }
    const child = this.running();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.settle(undefined);
        // Whatever it still prints belongs to the command given up on: a new shell starts clean.
        this.stop();
      }, this.patienceMs);
      this.pending = { resolve, timer };
      child.stdin.write(`${args.join(' ')}\n`);
    });
  }

  stop(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }

  private running(): NonNullable<GlusterShell['child']> {
    if (this.child) {
      return this.child;
    }
    const child = execa(this.cli, ['--mode=script', '--xml'], SHELL_OPTIONS);
    this.child = child;
    this.output = '';
    child.stdout.setEncoding('utf8');
    // A shell given up on may still have an answer in the pipe: it must not answer the next command.
    child.stdout.on('data', (chunk: string) => {
      if (this.child === child) {
        this.read(chunk);
      }
    });
    // A shell that ended takes its unanswered command with it; the next command starts a new one.
    void child.then(() => {
      if (this.child === child) {
        this.child = undefined;
        this.settle(undefined);
      }
    });
    // Writing to a shell that just ended: the exit above settles the command.
    child.stdin.on('error', () => undefined);
    return child;
  }

  private read(chunk: string): void {
    this.output += chunk;
    const end = this.output.indexOf(ANSWER_END);
    if (end !== -1) {
      const stdout = this.output.slice(0, end + ANSWER_END.length);
      this.output = this.output.slice(end + ANSWER_END.length).replace(/^\n/, '');
      this.settle(stdout);
    }
  }

  private settle(stdout: string | undefined): void {
    const pending = this.pending;
    if (pending) {
      this.pending = undefined;
      clearTimeout(pending.timer);
      pending.resolve(stdout);
    }
  }
}
