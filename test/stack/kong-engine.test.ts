/** stack.yaml checks of gateway.engine kong: consumer credentials rendered as vault references Kong does not resolve. */
import { describe, expect, it } from "vitest";
import { formatIssue } from "../../src/stack/issues.js";
import { analyzeStackText } from "../../src/stack/load.js";
import { MINIMAL_STACK_YAML } from "./fixtures.js";

const CONSUMERS = `consumers:
  - username: mobile
    credentials:
      key-auth:
        - key_env: MOBILE_API_KEY
      basic-auth:
        - {username: ops, password_env: OPS_PASSWORD}
  - username: nobody
`;

const engine = (name: string) =>
  MINIMAL_STACK_YAML.replace("template: monolith\n", `template: monolith\ngateway:\n  engine: ${name}\n`);

describe("gateway.engine kong and consumer credentials", () => {
  it("warns at each credential list that Kong would take the vault reference as the secret", () => {
    const analysis = analyzeStackText(`${engine("kong")}${CONSUMERS}`);
    expect(analysis.errors).toEqual([]);
    const lines = analysis.warnings.map(formatIssue);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^stack\.yaml:\d+:\d+: consumers\[0\]\.credentials\.key-auth: with gateway\.engine kong these credentials do not work: .*referenceable.*set gateway\.engine gatestack/,
    );
    expect(lines[1]).toMatch(/consumers\[0\]\.credentials\.basic-auth: with gateway\.engine kong/);
  });

  it("says nothing with the gatestack engine, or with kong and no credentials", () => {
    expect(analyzeStackText(`${engine("gatestack")}${CONSUMERS}`).warnings).toEqual([]);
    expect(analyzeStackText(`${engine("kong")}consumers:\n  - username: nobody\n`).warnings).toEqual([]);
  });
});
