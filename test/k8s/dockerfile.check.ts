import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';

export interface DockerfileInputs {
  dockerfile: string;
  /** deploy/Dockerfile.dockerignore (BuildKit reads `<Dockerfile>.dockerignore`). */
  dockerignore: string;
  /** Whether a path exists in the build context (the repository root). */
  exists(path: string): boolean;
  /** tsconfig.build.json, for where tsc writes the build. */
  tsconfigBuild: { compilerOptions?: { outDir?: string; rootDir?: string } };
  /** deploy/piragua-cli, the command the image installs. */
  wrapper: string;
}

export function repositoryInputs(): DockerfileInputs {
  return {
    dockerfile: readFileSync('deploy/Dockerfile', 'utf8'),
    dockerignore: readFileSync('deploy/Dockerfile.dockerignore', 'utf8'),
    exists: (path) => existsSync(path),
    tsconfigBuild: JSON.parse(readFileSync('tsconfig.build.json', 'utf8')) as DockerfileInputs['tsconfigBuild'],
    wrapper: readFileSync('deploy/piragua-cli', 'utf8'),
  };
}

interface Instruction {
  args: string;
  keyword: string;
}

function instructions(dockerfile: string): Instruction[] {
  return dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => /^[A-Z]+\s/.test(line))
    .map((line) => ({ args: line.slice(line.indexOf(' ') + 1).trim(), keyword: line.split(/\s/)[0] }));
}

/** The JSON-form command of CMD/ENTRYPOINT, or the words of the shell form. */
function words(args: string): string[] {
  return args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/);
}

/**
 * The Dockerfile read as Docker would run it: every COPY from the context names a file that is
 * there and not ignored, every COPY --from=build names something the build stage made (a COPY
 * into it, npm ci's node_modules, tsc's outDir), the command runs the built dist/main.js (whose
 * source exists), the image carries the Gluster client and mount tools, and the installed
 * `piragua` command points at the built piragua-k8s.js.
 */
export function dockerfileProblems(inputs: DockerfileInputs): string[] {
  const problems: string[] = [];
  const ignored = inputs.dockerignore
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const outDir = inputs.tsconfigBuild.compilerOptions?.outDir ?? '';
  const rootDir = inputs.tsconfigBuild.compilerOptions?.rootDir ?? '';
  const made = new Map<string, Set<string>>();
  let stage = '';
  let workdir = '/';
  let finalWorkdir = '/';
  let command: string[] = [];
  const installed: string[] = [];
  const finalFiles = new Map<string, string>();
  for (const { keyword, args } of instructions(inputs.dockerfile)) {
    if (keyword === 'FROM') {
      stage = / AS (\S+)$/i.exec(args)?.[1] ?? 'final';
      made.set(stage, new Set());
      workdir = '/';
    } else if (keyword === 'WORKDIR') {
      workdir = posix.resolve(workdir, args);
      finalWorkdir = workdir;
    } else if (keyword === 'RUN') {
      if (/\bnpm ci\b/.test(args)) {
        made.get(stage)!.add(posix.join(workdir, 'node_modules'));
      }
      if (/\btsc -p tsconfig\.build\.json\b/.test(args)) {
        made.get(stage)!.add(posix.join(workdir, outDir));
      }
      installed.push(...(/apt-get install ([^&]+)/.exec(args)?.[1]?.split(/\s+/) ?? []));
    } else if (keyword === 'COPY') {
      const parts = args.split(/\s+/);
      const from = parts.find((part) => part.startsWith('--from='))?.slice('--from='.length);
      const paths = parts.filter((part) => !part.startsWith('--'));
      const destination = paths.pop()!;
      for (const source of paths) {
        const target = destination.endsWith('/')
          ? posix.join(posix.resolve(workdir, destination), posix.basename(source))
          : posix.resolve(workdir, destination);
        if (from === undefined) {
          if (!inputs.exists(source)) {
            problems.push(`COPY ${source}: not in the repository`);
          } else if (ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`))) {
            problems.push(`COPY ${source}: Dockerfile.dockerignore keeps it out of the build context`);
          }
        } else if (![...(made.get(from) ?? [])].includes(source)) {
          problems.push(`COPY --from=${from} ${source}: the ${from} stage makes no such path`);
        }
        made.get(stage)!.add(target);
        finalFiles.set(target, from === undefined ? source : `${from}:${source}`);
      }
    } else if (keyword === 'CMD') {
      command = words(args);
    }
  }
  const script = command.find((word) => word.endsWith('.js'));
  const builtDist = posix.join('/src', outDir);
  const distCopied = [...finalFiles].find(([, source]) => source === `build:${builtDist}`)?.[0];
  if (command[0] !== 'node' || script === undefined || distCopied === undefined) {
    problems.push(`CMD ${JSON.stringify(command)} does not run node on the built ${outDir}`);
  } else {
    const runs = posix.resolve(finalWorkdir, script);
    const source = posix.join(rootDir, posix.relative(distCopied, runs)).replace(/\.js$/, '.ts');
    if (runs !== posix.join(distCopied, 'main.js') || !inputs.exists(source)) {
      problems.push(`CMD runs ${runs}: not the built main.js, or no ${source} to build it from`);
    }
  }
  for (const apt of ['glusterfs-client', 'glusterfs-cli', 'mount', 'util-linux', 'tini']) {
    if (!installed.includes(apt)) {
      problems.push(`the image lacks the Debian package ${apt}`);
    }
  }
  const wrapperAt = [...finalFiles].find(([, source]) => source === 'deploy/piragua-cli')?.[0];
  const k8s = /\$root\/(dist\/bin\/\S+\.js)/.exec(inputs.wrapper)?.[1];
  const root = /^root=(\S+)$/m.exec(inputs.wrapper)?.[1];
  if (wrapperAt === undefined || !/^\/usr\/(local\/)?bin\/piragua$/.test(wrapperAt)) {
    problems.push('deploy/piragua-cli is not installed as piragua on the PATH');
  }
  if (
    root !== finalWorkdir ||
    k8s === undefined ||
    !inputs.exists(k8s.replace(/^dist/, rootDir).replace(/\.js$/, '.ts'))
  ) {
    problems.push(`the piragua command runs ${String(root)}/${String(k8s)}, not a built file under ${finalWorkdir}`);
  }
  return problems;
}
