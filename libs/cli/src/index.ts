import { findServicePackage } from '@tftsr/config/service-root';
import type { Command } from 'commander';
import { CommanderError } from 'commander';

export { Command, InvalidArgumentError, Option } from 'commander';

/** Exit codes of every tftsr command: a usage error is told apart from a failure. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Where the parser writes usage and errors: whole texts, so callers can split them into lines. */
export interface ProgramIo {
  out(text: string): void;
  err(text: string): void;
}

export type Exit = (code: number) => void;

/** Commander discards an action's result: this one hands it on as the exit code. */
export function exitingAction<A extends unknown[]>(
  exit: Exit,
  fn: (...args: A) => number | Promise<number>,
): (...args: A) => Promise<void> {
  return async (...args) => exit(await fn(...args));
}

/** The command and every command below it, depth first: the CLI's whole surface. */
export function commandTree(command: Command): Command[] {
  return [command, ...command.commands.flatMap((c) => commandTree(c))];
}

/** The path a user types to reach `command`, without the program name: ['db', 'encrypt']. */
export function commandPath(command: Command): string[] {
  const path: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) path.unshift(c.name());
  return path;
}

/**
 * Parses `argv` and runs the action it names; resolves to the exit code. Help and version print and run
 * nothing (0); parser refusals print the usage (2). Errors thrown by actions are the caller's to report.
 */
export async function runProgram(build: (exit: Exit) => Command, argv: readonly string[], io: ProgramIo): Promise<number> {
  let code = EXIT_OK;
  const program = build((c) => (code = c));
  // Settings given to the root are not inherited by commands added with addCommand(): set them on each one.
  for (const command of commandTree(program)) {
    command
      .exitOverride()
      .showHelpAfterError()
      .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) });
  }
  try {
    await program.parseAsync(argv.length > 0 ? [...argv] : ['--help'], { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    // 'commander.help' is a group run without its command (`tftsr db`): its usage, as before the parser.
    return ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code) ? EXIT_OK : EXIT_USAGE;
  }
  return code;
}

/** The version in the service's package.json, found above this file in the source tree and in dist/. */
export function packageVersion(): string {
  return findServicePackage(__dirname)?.version || 'unknown';
}
