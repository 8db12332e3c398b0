import { join } from 'node:path';
import ts from 'typescript';

/**
 * The type errors of one file under the repository's tsconfig. Jest runs specs transpile-only (isolatedModules),
 * so a spec that pins a compile-time contract with `@ts-expect-error` calls this on itself: an expected error
 * that no longer happens is TS2578, and shows here.
 */
export function typeErrorsOf(file: string): string[] {
  const root = join(__dirname, '..', '..');
  const configPath = join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path)).config as unknown;
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root, { noEmit: true }, configPath);
  const program = ts.createProgram([file], options);
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => {
    const where = d.start === undefined || !d.file ? '' : `line ${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: `;
    return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}
