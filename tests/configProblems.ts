/** Helpers for the config tests: the problems a raw fleet produces, and a fleet built from the AWS fixture. */
import * as assert from "assert";
import { FleetConfigError, parseFleetConfig, RawFleetConfig } from "../components/config";
import { awsFleet } from "./fixtures";

export function problemsOf(raw: RawFleetConfig, secretKeys = ["hubSecrets"]): string[] {
    try {
        parseFleetConfig(raw, { stack: "staging", secretKeys });
    } catch (error) {
        assert.ok(error instanceof FleetConfigError, `expected FleetConfigError, got ${error}`);
        assert.match(error.message, /^Pulumi\.staging\.yaml: \d+ configuration problems? under "jupyterhub-fleet:"/);
        return [...error.problems];
    }
    return [];
}

export function expectProblem(problems: string[], pattern: RegExp): void {
    assert.ok(problems.some(p => pattern.test(p)), `no problem matches ${pattern}; got:\n${problems.join("\n")}`);
}

/** Asserts that `problems` holds exactly `expected`, as whole lines, in any order. */
export function expectExactly(problems: string[], ...expected: string[]): void {
    assert.deepStrictEqual([...problems].sort(), [...expected].sort());
}

export function fleetWith(mutate: (fleet: any) => void): RawFleetConfig {
    const fleet = awsFleet() as any;
    mutate(fleet);
    return fleet;
}
