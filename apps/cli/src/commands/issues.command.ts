import type { Exit } from '@tftsr/cli';
import { Command, exitingAction } from '@tftsr/cli';
import type { Env } from '@tftsr/config';
import type { CliIo } from '../cli-io';

// The action imports its module when it runs, so that building the program (and --help) reads no database code.

/** `tftsr issues …`: retention. */
export function issuesCommand(env: Env, io: CliIo, exit: Exit): Command {
  const issues = new Command('issues').description('retention: purge issues nobody changed for a while');
  issues
    .command('purge')
    .description(
      'delete every issue not changed for DAYS days, with everything it holds (log files, spans, redactions, images, steps, ' +
        'conversations, documents) and its stored files; one audit entry per issue, in the transaction that deletes it. Also removes ' +
        'stored files no row points at (left by a crash between a deletion and its file removal) once they are an hour old. ' +
        'Safe while the service runs.',
    )
    .requiredOption('--older-than <days>', 'a whole number of days, at least 1')
    .option('--dry-run', 'list what would go and change nothing')
    .action(
      exitingAction(exit, async (o: { olderThan: string; dryRun?: boolean }) =>
        (await import('./issues.actions')).purgeIssues(env, o.olderThan, o.dryRun === true, io),
      ),
    );
  return issues;
}
