// One linter for the whole repository: typescript-eslint's recommended type-aware rules.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/dist/**",
      "**/lib/**",
      "server/demo/models/**",
      "extension/servable_jupyterlab/**",
      "extension/ui-tests/app/build/**",
      "bench/results/**",
      // Local state: `npm start`'s repository, `npm run lab`'s workspace (a user's notebooks).
      ".servable/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The installed commands: CommonJS shims that load the compiled code.
    files: ["**/bin/*.js"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
);
