/**
 * Every command docs/deployment.md shows is checked here (the Kubernetes section's by
 * k8s-manifests.test.ts, which fails on any shell line it does not know): ktrdr commands and their
 * options against the CLI, docker commands against the compose files and the Dockerfile, systemd
 * commands against the units and env examples, curl recipes against the routes and the worker
 * schema (and jq, when installed), files against the repository. A command this test does not
 * know fails it: teach the test, or leave the command out of the page.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { buildProgram } from '../../src/cli/program.js';
import { WorkerInfo, WORKER_TYPES } from '../../src/contracts/worker.js';
import { repoRoot } from '../helpers/paths.js';
import { ENV_NAMES } from './code-facts.js';

const DOC = 'docs/deployment.md';
const read = (rel: string): string => readFileSync(join(repoRoot, rel), 'utf8');
const exists = (rel: string): boolean => existsSync(join(repoRoot, rel));
const doc = read(DOC);

/** The page without its Kubernetes section (k8s-manifests.test.ts checks that one). */
const page = (() => {
  const start = doc.indexOf('\n## Kubernetes\n');
  assert.ok(start >= 0, `${DOC} has no Kubernetes section`);
  const end = doc.indexOf('\n## ', start + 5);
  return doc.slice(0, start) + (end < 0 ? '' : doc.slice(end));
})();

/** Command lines of the ```bash/```sh blocks (continuations joined, comments dropped). */
function blockLines(text: string): string[] {
  return [...text.matchAll(/```(?:bash|sh)\n([\s\S]*?)```/g)].flatMap((m) =>
    m[1]!
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .map((l) => l.replace(/\s+#\s.*$/, '').trim())
      .filter((l) => l !== '' && !l.startsWith('#')),
  );
}

/** Inline code spans that are commands (they start with a program this test knows). */
function inlineCommands(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '');
  return [...prose.matchAll(/`([^`\n]+)`/g)]
    .map((m) => m[1]!)
    .filter((c) => /^(?:[A-Z_]+=\S+ )*(?:sudo |export )?(ktrdr|docker|curl|node|npm|cd|systemctl|journalctl|ufw|chown|install) /.test(c));
}

/** Shell words: quotes removed, `$(...)` kept whole. */
function words(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const j = line.indexOf(c, i + 1);
      assert.ok(j > i, `unbalanced quote in \`${line}\``);
      cur += line.slice(i + 1, j);
      inWord = true;
      i = j;
    } else if (c === '$' && line[i + 1] === '(') {
      const j = line.indexOf(')', i);
      assert.ok(j > i, `unbalanced $( in \`${line}\``);
      cur += line.slice(i, j + 1);
      inWord = true;
      i = j;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/** Splits a line into simple commands at `&&`, `;` and `|` (outside quotes); drops a trailing `&`. */
function simpleCommands(line: string): { argv: string[]; pipedFrom?: string[] }[] {
  const parts: string[] = [];
  let cur = '';
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = '';
      cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      cur += c;
    } else if (c === ';' || (c === '&' && line[i + 1] === '&') || c === '|') {
      parts.push(cur, c === '|' ? '|' : '&&');
      cur = '';
      if (c === '&') i++;
    } else cur += c;
  }
  parts.push(cur);
  const out: { argv: string[]; pipedFrom?: string[] }[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const argv = words(parts[i]!.replace(/\s*&\s*$/, ''));
    if (argv.length === 0) continue;
    out.push(parts[i - 1] === '|' ? { argv, pipedFrom: out.at(-1)?.argv } : { argv });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Checkers, one per program
// ---------------------------------------------------------------------------------------------

const program = buildProgram();
const findCmd = (cmds: readonly Command[], name: string) => cmds.find((c) => c.name() === name || c.aliases().includes(name));

/** `ktrdr ARGS`: the command exists and takes every option given. */
function checkKtrdr(args: string[], line: string): void {
  let cmd = findCmd(program.commands, args[0] ?? '');
  assert.ok(cmd, `\`${line}\`: no ktrdr command '${args[0]}'`);
  let i = 1;
  for (; i < args.length; i++) {
    const sub = findCmd(cmd.commands, args[i]!);
    if (!sub) break;
    cmd = sub;
  }
  if (cmd.commands.length > 0) assert.fail(`\`${line}\`: '${cmd.name()}' needs a subcommand (${cmd.commands.map((c) => c.name()).join(', ')})`);
  for (const a of args.slice(i)) {
    if (!a.startsWith('-') || a === '-') continue;
    const flag = a.split('=')[0]!;
    const known = cmd.options.some((o) => o.long === flag || o.short === flag) || ['--help', '-h'].includes(flag);
    assert.ok(known, `\`${line}\`: 'ktrdr ${cmd.name()}' has no option ${flag}`);
  }
}

const COMPOSE_FILES = ['docker/docker-compose.yml', 'docker/docker-compose.multihost.yml'];
function composeServices(file: string): string[] {
  return Object.keys((parseYaml(read(file), { merge: true }) as { services: Record<string, unknown> }).services);
}

function checkDocker(args: string[], line: string): void {
  const [verb, ...rest] = args;
  if (verb === 'build') {
    assert.deepEqual(rest, ['-f', 'docker/Dockerfile', '-t', 'ktrdr:latest', '.'], line);
    assert.ok(exists('docker/Dockerfile'));
    return;
  }
  if (verb === 'run') {
    let i = 0;
    for (; i < rest.length && rest[i]!.startsWith('-'); i++) {
      const flag = rest[i]!;
      if (flag === '-d' || flag === '--init') continue;
      const value = rest[++i] ?? '';
      if (flag === '-e') {
        const name = value.split('=')[0]!;
        assert.ok(ENV_NAMES.has(name), `\`${line}\`: ${name} is not a ktrdr variable`);
      } else assert.ok(['--name', '-p', '-v'].includes(flag), `\`${line}\`: docker run ${flag} is not checked here`);
    }
    assert.equal(rest[i], 'ktrdr:latest', `${line}: the image docker build makes`);
    // The image's ENTRYPOINT is the CLI; no argument means its CMD, `backend`.
    checkKtrdr(rest.length > i + 1 ? rest.slice(i + 1) : ['backend'], line);
    return;
  }
  // Named in prose: what `docker stop` sends to the container.
  if (verb === 'stop' && rest.length === 0) return;
  assert.equal(verb, 'compose', `\`${line}\`: docker ${verb} is not checked here`);
  const files: string[] = [];
  let i = 0;
  for (; i < rest.length && rest[i]!.startsWith('-'); i += 2) {
    if (rest[i] === '-f') files.push(rest[i + 1]!);
    else assert.equal(rest[i], '--env-file', line);
  }
  for (const f of files) assert.ok(COMPOSE_FILES.includes(f) && exists(f), `\`${line}\`: ${f} is not a compose file deployment-files.test.ts checks`);
  const services = files.flatMap(composeServices);
  const [sub, ...subArgs] = rest.slice(i);
  switch (sub) {
    case 'up':
      for (let j = 0; j < subArgs.length; j++) {
        const a = subArgs[j]!;
        if (a === '--scale') {
          const [svc, n] = subArgs[++j]!.split('=');
          assert.ok(services.includes(svc!), `\`${line}\`: no service ${svc}`);
          assert.match(n ?? '', /^\d+$/, line);
        } else assert.ok(['-d', '--build'].includes(a), `\`${line}\`: compose up ${a}`);
      }
      return;
    case 'ps':
    case 'stop':
    case 'down':
      assert.deepEqual(subArgs, [], line);
      return;
    case 'logs':
      for (const a of subArgs.filter((x) => !x.startsWith('-'))) assert.ok(services.includes(a), `\`${line}\`: no service ${a}`);
      return;
    case 'cp': {
      const target = subArgs[1] ?? '';
      assert.ok(services.includes(target.split(':')[0]!), `\`${line}\`: no service in ${target}`);
      return;
    }
    case 'exec': {
      assert.ok(services.includes(subArgs[0]!), `\`${line}\`: no service ${subArgs[0]}`);
      assert.deepEqual(subArgs.slice(1, 3), ['node', 'dist/src/cli/main.js'], `${line}: the CLI inside the image`);
      checkKtrdr(subArgs.slice(3), line);
      return;
    }
    default:
      assert.fail(`\`${line}\`: docker compose ${sub} is not checked here`);
  }
}

/** `ktrdr-backend` or `ktrdr-worker@INSTANCE` (`*` or an instance with an env example or a type prefix). */
function checkUnit(unit: string, line: string): void {
  if (unit === 'ktrdr-backend') return void assert.ok(exists('deploy/systemd/ktrdr-backend.service'));
  const m = /^ktrdr-worker@(.+)$/.exec(unit);
  assert.ok(m, `\`${line}\`: no unit ${unit}`);
  assert.ok(exists('deploy/systemd/ktrdr-worker@.service'));
  if (m[1] === '*') return;
  const type = m[1]!.split('-')[0]!;
  assert.ok((WORKER_TYPES as readonly string[]).includes(type), `\`${line}\`: ${m[1]} does not start with a worker type`);
  assert.ok(exists(`deploy/systemd/${m[1]}.env.example`), `\`${line}\`: deploy/systemd/${m[1]}.env.example does not exist (its env file would be missing)`);
}

function checkSystemctl(args: string[], line: string): void {
  const [verb, ...rest] = args;
  const units = rest.filter((a) => !a.startsWith('-'));
  switch (verb) {
    case 'daemon-reload':
      return assert.deepEqual(rest, [], line);
    case 'enable':
    case 'disable':
      assert.ok(rest.includes('--now'), `${line}: --now`);
      break;
    case 'restart':
    case 'status':
    case 'edit':
      break;
    default:
      assert.fail(`\`${line}\`: systemctl ${verb} is not checked here`);
  }
  assert.ok(units.length > 0 || verb === 'edit', line);
  for (const u of units) checkUnit(u, line);
}

function checkJournalctl(args: string[], line: string): void {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-u') checkUnit(args[++i]!, line);
    else if (args[i] === '--since') i++;
    else assert.equal(args[i], '-f', `\`${line}\`: journalctl ${args[i]}`);
  }
}

/** `install ... SRC... DEST`: repository sources exist (in /opt/ktrdr or the checkout). */
function checkInstall(args: string[], line: string): void {
  const paths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (['-m', '-o', '-g'].includes(args[i]!)) i++;
    else if (args[i] !== '-d') paths.push(args[i]!);
  }
  if (args.includes('-d')) return void assert.ok(paths.every((p) => /^\/(var\/lib|etc)\/ktrdr(\/|$)/.test(p)), `${line}: directories under /var/lib/ktrdr or /etc/ktrdr`);
  const dest = paths.pop()!;
  assert.match(dest, /^\/(etc\/ktrdr|etc\/systemd\/system|var\/lib\/ktrdr\/data)\//, line);
  for (const src of paths) {
    const rel = src.replace(/^\/opt\/ktrdr\//, '');
    if (rel.includes('*')) {
      const [dir, pattern] = [rel.slice(0, rel.lastIndexOf('/')), rel.slice(rel.lastIndexOf('/') + 1)];
      const re = new RegExp(`^${pattern.replace(/\./g, '\\.').replace(/\*/g, '.*')}$`);
      assert.ok(execFileSync('ls', [join(repoRoot, dir)], { encoding: 'utf8' }).split('\n').some((f) => re.test(f)), `\`${line}\`: ${src} matches nothing`);
    } else assert.ok(exists(rel), `\`${line}\`: ${src} does not exist in the repository`);
  }
}

/** Field names a jq recipe reads from a worker (`{a, b}` and `.a.b`). */
function jqWorkerFields(filter: string): string[] {
  const fields = [...filter.matchAll(/\{([^}]*)\}/g)].flatMap((m) => m[1]!.split(',').map((f) => f.trim()));
  const paths = [...filter.matchAll(/\.\s*([a-z_]+)(?:\.[a-z_]+)*/g)].map((m) => m[1]!);
  return [...new Set([...fields, ...paths])].filter(Boolean);
}
const hasJq = spawnSync('jq', ['--version']).status === 0;
const curlRecipes: { line: string; path: string; filter: string }[] = [];

function checkCurl(args: string[], line: string, jqArgs: string[] | undefined): void {
  const url = args.find((a) => /^https?:\/\//.test(a));
  assert.ok(url, `\`${line}\`: no URL`);
  const path = new URL(url.replace(/<[^>]+>/g, 'host')).pathname;
  assert.equal(path, '/api/v1/workers', `\`${line}\`: only the worker list is checked here`);
  assert.match(read('src/http/routes/workers.ts'), /app\.get\(\s*'\/workers',/);
  // Every deployment on the page sets a token: without the header the API answers 401.
  const h = args.indexOf('-H');
  assert.ok(h >= 0 && args[h + 1] === 'Authorization: Bearer $KTRDR_API_TOKEN', `\`${line}\`: send the token (-H "Authorization: Bearer $KTRDR_API_TOKEN")`);
  assert.ok(jqArgs && jqArgs.length === 2 && jqArgs[0] === 'jq', `\`${line}\`: pipe the reply through one jq filter`);
  curlRecipes.push({ line, path, filter: jqArgs[1]! });
}

/** Programs that set up the operating system; only their arguments that name our files are checked. */
function checkOsCommand(argv: string[], line: string): void {
  const [prog, ...args] = argv;
  switch (prog) {
    case 'apt-get':
      return assert.deepEqual(args.slice(0, 2), ['install', '-y'], line);
    case 'useradd':
      return assert.equal(args.at(-1), 'ktrdr', `${line}: the user the units run as`);
    case 'git':
      assert.ok(args[0] === 'pull' || (args[0] === 'clone' && args.at(-1) === '/opt/ktrdr'), line);
      return;
    case 'cd':
      return assert.deepEqual(args, ['/opt/ktrdr'], `${line}: where the units run the code`);
    case 'npm': {
      const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
      if (args[0] === 'run') return void assert.ok(scripts[args[1]!], `${line}: no npm script ${args[1]}`);
      assert.ok(['ci', 'prune', 'install'].includes(args[0]!), `\`${line}\`: npm ${args[0]}`);
      if (args[0] === 'install') {
        const tfjs = (JSON.parse(read('package.json')) as { dependencies: Record<string, string> }).dependencies['@tensorflow/tfjs']!;
        assert.equal(args.at(-1), `@tensorflow/tfjs-node-gpu@${tfjs.replace(/^\^/, '')}`, `${line}: the same version as @tensorflow/tfjs`);
      }
      return;
    }
    case 'cp':
      assert.ok(exists(args[0]!), `\`${line}\`: ${args[0]} does not exist`);
      return assert.equal(args[1], '~/ktrdr-multihost.env', line);
    case '$EDITOR':
    case 'sudoedit':
      return assert.ok(['~/ktrdr-multihost.env', '/etc/ktrdr/common.env'].includes(args[0]!), `${line}: a file the page created`);
    case 'grep':
      return;
    case 'ufw':
      return assert.match(args.join(' '), /^allow from \S+ to any port \d+(:\d+)? proto tcp$/, line);
    case 'openssl':
      return assert.deepEqual(args, ['rand', '-hex', '32'], line);
    case 'node':
      if (args[0] === 'docker/healthcheck.mjs') return void assert.ok(exists(args[0]));
      return assert.deepEqual(args, ['-e', "require('@tensorflow/tfjs-node-gpu')"], line);
    default:
      assert.fail(`${DOC}: \`${line}\`: this test does not check '${prog}' (teach deployment-docs.test.ts, or leave it out)`);
  }
}

function checkLine(line: string): void {
  const commands = simpleCommands(line);
  for (const [index, { argv: raw, pipedFrom }] of commands.entries()) {
    let argv = raw.filter((w) => w !== '…');
    if (argv[0] === 'sudo') argv = argv.slice(1);
    if (argv[0] === 'export') {
      for (const a of argv.slice(1)) {
        const [name, value] = [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)];
        assert.ok(ENV_NAMES.has(name), `\`${line}\`: ${name} is not a ktrdr variable`);
        const inner = /^\$\((.*)\)$/.exec(value);
        if (inner) checkLine(inner[1]!);
      }
      continue;
    }
    while (argv[0] && /^[A-Z_]+=/.test(argv[0])) {
      const name = argv[0].split('=')[0]!;
      assert.ok(ENV_NAMES.has(name), `\`${line}\`: ${name} is not a ktrdr variable`);
      argv = argv.slice(1);
    }
    const [prog, ...args] = argv;
    if (pipedFrom?.[0] === 'curl' || pipedFrom?.[0] === 'journalctl') continue; // checked with its source
    if (prog === 'ktrdr') checkKtrdr(args, line);
    else if (prog === 'node' && args[0] === '/opt/ktrdr/dist/src/cli/main.js') checkKtrdr(args.slice(1), line);
    else if (prog === 'docker') checkDocker(args, line);
    else if (prog === 'systemctl') checkSystemctl(args, line);
    else if (prog === 'journalctl') checkJournalctl(args, line);
    else if (prog === 'install') checkInstall(args, line);
    else if (prog === 'curl') {
      const next = commands[index + 1];
      checkCurl(args, line, next?.pipedFrom === raw ? next.argv : undefined);
    } else if (prog === 'chown') assert.match(args.join(' '), /^-R 1000:1000 \S+$/, line);
    else checkOsCommand(argv, line);
  }
}

describe('docs/deployment.md: every command it shows', () => {
  const lines = blockLines(page);
  const inline = inlineCommands(page);

  it('finds the commands of every topology', () => {
    assert.ok(lines.length >= 40, `only ${lines.length} shell lines`);
    for (const needle of ['ktrdr up --host', 'docker compose -f docker/docker-compose.yml up', 'docker compose -f docker/docker-compose.multihost.yml', 'systemctl enable --now ktrdr-worker@']) {
      assert.ok(lines.some((l) => l.includes(needle)), `no \`${needle}\` command`);
    }
    for (const h of ['## One host', '## Several hosts', '## Kubernetes', '## Which store to pick']) assert.ok(doc.includes(`\n${h}\n`), `no "${h}" section`);
  });

  it('each shell line (blocks and inline) is one this test checks, and it passes', () => {
    for (const line of [...lines, ...inline]) checkLine(line);
    assert.ok(curlRecipes.length >= 2);
  });

  it('curl recipes read fields the worker list has; jq runs them on a worker record', { skip: !hasJq && 'jq not installed (the field check above still ran)' }, () => {
    const keys = Object.keys(WorkerInfo.properties);
    const sample = Object.fromEntries(keys.map((k) => [k, k === 'capabilities' ? { gpu: true } : `${k}-value`]));
    for (const { line, filter } of curlRecipes) {
      for (const f of jqWorkerFields(filter)) assert.ok(keys.includes(f), `\`${line}\`: workers have no field ${f}`);
      const out = execFileSync('jq', [filter], { input: JSON.stringify([sample]), encoding: 'utf8' });
      assert.notEqual(out.trim(), '', `${line}: jq printed nothing`);
    }
  });

  it('names files and tests that exist', () => {
    for (const m of page.matchAll(/`((?:docker|deploy|config|test|docs)\/[^`\s]*)`/g)) {
      // config/workers.$KTRDR_ENV.yaml: each value the page names.
      const paths = /\$KTRDR_ENV|\*/.test(m[1]!) ? ['dev', 'prod'].map((e) => m[1]!.replace(/\$KTRDR_ENV|\*/, e)) : [m[1]!];
      // docker/.env is the operator's own (git-ignored) file.
      for (const p of paths) assert.ok(exists(p) || p === 'docker/.env', `${DOC}: ${p} does not exist`);
    }
    for (const m of doc.matchAll(/\]\(([a-z-]+\.md)(?:#[^)]*)?\)/g)) {
      // operations-store.md comes with the PostgreSQL store (another branch); every other link must resolve.
      if (m[1] === 'operations-store.md' && !exists('docs/operations-store.md')) continue;
      assert.ok(exists(`docs/${m[1]}`), `${DOC}: link to ${m[1]}`);
    }
  });

  it('in-page links point at headings of the page', () => {
    const slug = (h: string) => h.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');
    const anchors = new Set([...doc.matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1]!)));
    for (const m of doc.matchAll(/\]\(#([^)]+)\)/g)) assert.ok(anchors.has(m[1]!), `${DOC}: no heading for #${m[1]}`);
    for (const [file, re] of [['docs/user-guide.md', /deployment\.md#([a-z0-9-]+)/g], ['deploy/systemd/README.md', /deployment\.md#([a-z0-9-]+)/g]] as const) {
      for (const m of read(file).matchAll(re)) assert.ok(anchors.has(m[1]!), `${file}: no heading for deployment.md#${m[1]}`);
    }
  });
});
