// The code in README.md, CONTRIBUTING.md and docs/*.md compiles as written: every ```ts and ```js
// block is type-checked (tsc --strict) against the built package's declarations, as a file of a
// project that depends on gatedrnn; and the README's blocks run, in order, in such a project.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

const root = path.resolve(__dirname, '..');

interface Block {
  file: string;
  line: number;
  lang: 'ts' | 'js';
  code: string;
}

/** The fenced ```ts and ```js blocks of one Markdown file, with the line each starts on. */
function codeBlocks(file: string): Block[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.findIndex((l, k) => k > i && l.startsWith('```'));
    if (end < 0) throw new Error(`${file}:${i + 1}: a code block that never closes`);
    const lang = open[1];
    if (lang === 'ts' || lang === 'typescript' || lang === 'js' || lang === 'javascript') {
      blocks.push({
        file: path.relative(root, file),
        line: i + 2,
        lang: lang.startsWith('t') ? 'ts' : 'js',
        code: lines.slice(i + 1, end).join('\n'),
      });
    } else if (lang === '') {
      throw new Error(`${file}:${i + 1}: a code block without a language: name it (ts, js, sh, ...)`);
    }
    i = end;
  }
  return blocks;
}

const docFiles = [
  path.join(root, 'README.md'),
  path.join(root, 'CONTRIBUTING.md'),
  ...fs
    .readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join(root, 'docs', f)),
].filter((f) => fs.existsSync(f));

/** A project whose node_modules/gatedrnn is this repository (its package.json, dist/ and addon). */
function consumerProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-docs-'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'docs-consumer', private: true, type: 'module' }));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(root, path.join(dir, 'node_modules', 'gatedrnn'), 'dir');
  fs.symlinkSync(path.join(root, 'node_modules', '@types'), path.join(dir, 'node_modules', '@types'), 'dir');
  return dir;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

test('the docs hold code blocks to check', () => {
  const blocks = docFiles.flatMap(codeBlocks);
  expect(blocks.filter((b) => b.file === 'README.md').length).toBeGreaterThanOrEqual(4);
  expect(new Set(blocks.map((b) => b.file)).size).toBeGreaterThanOrEqual(5);
});

test('every TypeScript and JavaScript block compiles under tsc --strict against the package', () => {
  expect(fs.existsSync(path.join(root, 'dist', 'index.d.ts'))).toBe(true); // npm run build:ts
  const dir = consumerProject();
  dirs.push(dir);
  const blocks = docFiles.flatMap(codeBlocks);
  const names = blocks.map((b, k) => `block${k}.${b.lang === 'ts' ? 'mts' : 'mjs'}`);
  blocks.forEach((b, k) => fs.writeFileSync(path.join(dir, names[k]), b.code + '\n'));
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        allowJs: true,
        checkJs: true,
        types: ['node'],
        skipLibCheck: false,
      },
      files: names,
    }),
  );
  let output = '';
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', dir], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    output = String((err as { stdout: string }).stdout);
  }
  // Name each error by the Markdown file and line it comes from.
  const located = output.replace(/block(\d+)\.m[tj]s\((\d+),(\d+)\)/g, (_, k: string, line: string) => {
    const b = blocks[Number(k)];
    return `${b.file}:${b.line + Number(line) - 1}`;
  });
  expect(located).toBe('');
});

test("the README's blocks run, in order, in a project that depends on gatedrnn", () => {
  const dir = consumerProject();
  dirs.push(dir);
  const blocks = codeBlocks(path.join(root, 'README.md'));
  blocks.forEach((b, k) => {
    const js =
      b.lang === 'ts'
        ? ts.transpileModule(b.code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText
        : b.code;
    const file = path.join(dir, `readme${k}.mjs`);
    fs.writeFileSync(file, js);
    const out = execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', env: { ...process.env, GATEDRNN_THREADS: '1' } });
    if (k === 0) expect(out).toMatch(/^accuracy (0|1)\.\d\d; P\(sum > 0\) = (0|1)\.\d\d\n$/);
  });
});
