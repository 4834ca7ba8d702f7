import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The HTTP platform is the edge's business (src/http); everything else sees Node's request and plain values. */
const PLATFORM_IMPORTS = {
  message: 'Only src/http talks to the HTTP platform: use Node types, HttpAnswer or a decorator instead.',
  regex: '^(express|fastify|@fastify/.*|@nestjs/platform-.*)$',
};

/**
 * Another feature is reached through its public surface only: its module, services, ports
 * (gateways, *.port.ts), clients, types, events, errors, rules, decorators and DTOs. common/, config/ and http/'s answers
 * are leaves, and so are the CSI plugin's name and the gluster CLI (the client of that outside system). `up` is how a file climbs to src/ (features nest one level of sub-folders).
 */
const featureInternals = (up) => ({
  message:
    'Reach another feature through its module, service, port, client, types, events, errors, rules, decorators or DTOs, not its internals.',
  regex: `^${up}(?!common/|config/|docs/|http/http-answers\\.js$|csi/csi-plugin\\.js$|gluster/gluster-cli\\.js$)[a-z0-9-]+/(?!dto/)(?!(?:[a-z0-9-]+/)?[^/]*\\.(module|service|gateway|port|client|types|events|errors?|decorator|rules)\\.js$).+`,
});

export default defineConfig(
  {
    ignores: ['dist/', 'dist-bench/', 'coverage/', 'node_modules/', 'test-results/', 'bench/results/'],
  },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // TypeScript itself reports undefined names, with the right globals for each file.
      'no-undef': 'off',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/require-await': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
          varsIgnorePattern: '^_',
        },
      ],
      curly: ['error', 'all'],
    },
  },
  {
    files: ['src/*/*.ts'],
    ignores: ['src/http/**', 'src/**/*.spec.ts', 'src/bin/**', 'src/**/*.bootstrap.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [PLATFORM_IMPORTS, featureInternals('\\.\\./')] }],
    },
  },
  {
    files: ['src/*/*/*.ts'],
    ignores: ['src/http/**', 'src/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [PLATFORM_IMPORTS, featureInternals('\\.\\./\\.\\./')] }],
    },
  },
  {
    // The composition roots wire features together and build the app on the edge's adapter, never on the platform itself.
    files: ['src/main.ts', 'src/bin/**/*.ts', 'src/**/*.bootstrap.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [PLATFORM_IMPORTS] }],
    },
  },
  {
    // Tests read untyped JSON answers, YAML and logs on purpose; what they assert is checked by the assertions.
    // Their fakes are async to match the ports they stand for, awaiting nothing.
    files: ['test/**/*.ts', 'src/**/*.spec.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
);
