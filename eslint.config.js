// ESLint, the set a Remix project usually runs (typescript-eslint, React, hooks, accessibility) plus
// the house rules that can be checked per import: no import cycles, and the layer bans that
// tests/architecture.test.ts also enforces (routes never touch the database, pure files import no
// server code, the simulator imports nothing from the app, lib/ imports no domain module).
import js from "@eslint/js";
import { createNodeResolver, flatConfigs as importX } from "eslint-plugin-import-x";
import jsxA11y from "eslint-plugin-jsx-a11y";
import react from "eslint-plugin-react";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

const DATABASE = ["drizzle-orm", "drizzle-orm/*", "postgres", "@electric-sql/*"];
const SERVER_ONLY = ["*.server", "**/*.server", "node:*", "**/db/client", "**/db/migrate"];

export default tseslint.config(
  {
    ignores: [
      "build/**",
      "public/build/**",
      ".data/**",
      "node_modules/**",
      "db/migrations/**",
      "tests/e2e/artifacts/**",
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ["**/*.{ts,tsx}"],
    ...react.configs.flat.recommended,
  },
  react.configs.flat["jsx-runtime"],
  jsxA11y.flatConfigs.recommended,
  importX.recommended,
  importX.typescript,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: { ...globals.node, ...globals.browser, ...globals.vitest },
    },
    plugins: { "react-hooks": reactHooks },
    settings: {
      react: { version: "18" },
      "import-x/ignore": ["node_modules"],
      "import-x/resolver-next": [
        createNodeResolver({
          extensions: [".ts", ".tsx", ".js", ".mjs", ".json"],
          tsconfig: { configFile: "./tsconfig.json" },
        }),
      ],
    },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "error",
      // A cycle between files is a layering bug (STYLE.md, rule 11), including through `await
      // import()`. No file is exempt. Cycles between folders (payments ⇄ exceptions, …) are checked by
      // tests/architecture.test.ts, whose allow-list holds the ones the ledger breaks.
      "import-x/no-cycle": [
        "error",
        { ignoreExternal: true, allowUnsafeDynamicCyclicDependency: false },
      ],
      // TypeScript already resolves imports and checks named exports; these repeat it more slowly.
      "import-x/no-unresolved": "off",
      "import-x/named": "off",
      "import-x/namespace": "off",
      "import-x/default": "off",
      "import-x/no-named-as-default-member": "off",
      "react/prop-types": "off",
      // A leading underscore marks a value kept for its position (a destructured column, a callback
      // parameter) or split off an object on purpose.
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],
      // Remix's AppLoadContext is widened by declaration merging, which needs `interface … extends`.
      "@typescript-eslint/no-empty-object-type": [
        "error",
        { allowInterfaces: "with-single-extends" },
      ],
      // Apostrophes in copy are fine in JSX; only the characters that end an expression are not.
      "react/no-unescaped-entities": ["error", { forbid: [">", "}"] }],
      "jsx-a11y/label-has-associated-control": ["error", { controlComponents: ["RoleSelect"] }],
    },
  },
  {
    // Routes are thin: authorize, parse, call the domain, respond. The database is the domain's.
    files: ["app/routes/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [...DATABASE, "**/db/*", "**/db"],
              message: "Routes call domain modules; only app/modules/ touches the database.",
            },
          ],
        },
      ],
    },
  },
  {
    // Pure files (no .server suffix) are bundled for the browser too: the classic compiler empties
    // *.server files there, so importing one fails only at run time.
    files: ["app/**/*.{ts,tsx}"],
    ignores: [
      "app/**/*.server.{ts,tsx}",
      "app/**/*.test.{ts,tsx}",
      "app/routes/**",
      "app/cli/main.ts",
      "app/root.tsx",
    ],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [...SERVER_ONLY, ...DATABASE],
              message:
                "A pure module or component imports no server code, database client or node: built-in (db/schema types are fine).",
            },
          ],
        },
      ],
    },
  },
  {
    // lib/ is below every domain module (STYLE.md, rule 11).
    files: ["app/lib/**"],
    ignores: ["app/lib/**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["**/modules/**", "~/modules/**"], message: "lib/ imports no domain module." },
          ],
        },
      ],
    },
  },
  {
    // The simulator stands in for Safaricom: it shares no code with the app it tests.
    files: ["simulator/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/app/**", "**/db/**", "**/jobs/**", "~/**"],
              message: "The simulator imports nothing from the app.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.test.{ts,tsx}", "tests/**", "simulator/test-harness.ts"],
    rules: {
      // Tests poke at loosely typed JSON answers on purpose.
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
);
