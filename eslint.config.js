// ESLint flat config. Type-aware, but limited to rules that catch real bugs
// (promises that are never awaited or handled, awaiting non-promises, unused
// code). Formatting is prettier's job; tsc (strict) does the type checking.
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/",
      "node_modules/",
      "bench/node_modules/",
      // scratch of the benchmark tools (copied builds, homes): never part of the source
      "bench/.work/",
      "console/dist/",
      "coverage/",
      // Plain JavaScript (scripts/*.mjs, bin/*.js, this file) is not linted.
      "**/*.js",
      "**/*.mjs",
      "**/*.cjs",
    ],
  },
  {
    files: ["**/*.ts", "**/*.tsx", "**/*.mts", "**/*.cts"],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: {
        // Every linted .ts file must be in tsconfig.json's "include".
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      // The code may carry disable comments for rules this small set leaves
      // off (e.g. no-explicit-any); they are harmless, so don't report them.
      reportUnusedDisableDirectives: "off",
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": [
        "error",
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
      "@typescript-eslint/await-thenable": "error",
      // Only the case that changes behaviour: `return promise` inside try/catch
      // or try/finally skips the catch/finally for that promise's rejection.
      "@typescript-eslint/return-await": ["error", "error-handling-correctness-only"],
      "no-unused-vars": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],
      // verbatimModuleSyntax already forces `import type` where needed.
      "@typescript-eslint/consistent-type-imports": "off",
    },
  },
  {
    // Type-level assertion files (*.check.ts) are compiled, never run: their
    // values exist to be used by `typeof`, which no-unused-vars counts as unused.
    files: ["**/*.check.ts"],
    rules: { "@typescript-eslint/no-unused-vars": "off" },
  },
);
