import { describe, expect, it } from 'vitest';
import { type DockerfileInputs, dockerfileProblems, repositoryInputs } from './dockerfile.check.js';

const inputs = repositoryInputs();

function broken(change: Partial<DockerfileInputs>, from?: string, to?: string): string {
  const dockerfile = from === undefined ? inputs.dockerfile : inputs.dockerfile.replace(from, to!);
  expect(from === undefined || dockerfile !== inputs.dockerfile).toBe(true);
  return dockerfileProblems({ ...inputs, dockerfile, ...change }).join('\n');
}

describe('deploy/Dockerfile', () => {
  it('copies only what exists, runs the built dist/main.js, carries the Gluster client and mount tools', () => {
    expect(dockerfileProblems(inputs)).toEqual([]);
  });

  it.each([
    [
      'a COPY of a path the repository lacks',
      'COPY src ./src',
      'COPY source ./source',
      /COPY source: not in the repository/,
    ],
    ['a COPY --from of what the build stage never made', '/src/dist ./dist', '/src/build ./dist', /makes no such path/],
    ['a CMD on another file', '"dist/main.js"', '"dist/server.js"', /not the built main\.js/],
    ['a CMD without node', 'CMD ["node", ', 'CMD ["nodejs", ', /does not run node/],
    ['no util-linux', ' mount util-linux tini', ' mount tini', /lacks the Debian package util-linux/],
    ['no Gluster client', 'glusterfs-client glusterfs-cli', 'glusterfs-cli', /glusterfs-client/],
    ['the wrapper elsewhere', 'deploy/piragua-cli /usr/local/bin/piragua', 'deploy/piragua-cli /opt/', /on the PATH/],
    [
      'tsc writing nothing the image copies',
      'tsc -p tsconfig.build.json',
      'tsc -p tsconfig.json',
      /makes no such path/,
    ],
  ])('fails on %s', (_name, from, to, expected) => {
    expect(broken({}, from, to)).toMatch(expected);
  });

  it('fails when .dockerignore keeps a copied path out of the context', () => {
    expect(broken({ dockerignore: `${inputs.dockerignore}\ndeploy\n` })).toMatch(
      /COPY deploy\/piragua-cli: .*dockerignore/,
    );
  });

  it('fails when tsc writes somewhere else, or the wrapper runs a file nothing builds', () => {
    expect(broken({ tsconfigBuild: { compilerOptions: { outDir: 'build', rootDir: 'src' } } })).toMatch(/no such path/);
    expect(broken({ wrapper: inputs.wrapper.replaceAll('piragua-k8s.js', 'k8s.js') })).toMatch(
      /the piragua command runs/,
    );
  });
});
