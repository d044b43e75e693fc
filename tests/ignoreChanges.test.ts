/**
 * The ignoreChanges model (scripts/engineModel/ignoreChanges.ts) against the cases of pulumi/pulumi
 * `sdk/go/common/resource/properties_path.go` `PropertyPath.Reset` and `pkg/resource/deploy/step_generator.go`
 * `processIgnoreChanges`, and the pure sizing rule the pool edits rely on.
 */
import * as assert from "assert";
import { bridgedUpdateValues, engineUpdateInputs, parsePropertyPath } from "../scripts/engineModel/ignoreChanges";
import { desiredNodeCount } from "../components/nodePoolSize";

describe("engine model: ignoreChanges on update", () => {
    it("parses keys, indices and quoted keys, and refuses what it does not model", () => {
        assert.deepStrictEqual(parsePropertyPath("scalingConfig.desiredSize"), ["scalingConfig", "desiredSize"]);
        assert.deepStrictEqual(parsePropertyPath(`tags["kubernetes.io/role"].x[2]`), ["tags", "kubernetes.io/role", "x", 2]);
        assert.throws(() => parsePropertyPath("nodePools[*].size"), /cannot parse/);
        assert.throws(() => parsePropertyPath("tags.*"), /cannot parse/);
        assert.throws(() => parsePropertyPath(".a"), /cannot parse/);
    });

    it("sends the old input for an ignored path, whatever the program computed, and the new value elsewhere", () => {
        const old = { scalingConfig: { minSize: 0, maxSize: 20, desiredSize: 0 }, labels: { a: "1" } };
        const next = { scalingConfig: { minSize: 2, maxSize: 10, desiredSize: 7 }, labels: { a: "2" } };
        const { inputs, invalidPaths } = engineUpdateInputs(old, next, ["scalingConfig.desiredSize"]);
        assert.deepStrictEqual(inputs, { scalingConfig: { minSize: 2, maxSize: 10, desiredSize: 0 }, labels: { a: "2" } });
        assert.deepStrictEqual(invalidPaths, []);
        assert.strictEqual(next.scalingConfig.desiredSize, 7, "the program's inputs are not modified");
    });

    it("deletes an ignored leaf the old inputs lacked, and restores one the program stopped sending", () => {
        assert.deepStrictEqual(engineUpdateInputs({ a: 1 }, { a: 2, desiredNodes: 3 }, ["desiredNodes"]).inputs, { a: 2 });
        assert.deepStrictEqual(engineUpdateInputs({ desiredNodes: 1 }, {}, ["desiredNodes"]).inputs, { desiredNodes: 1 });
    });

    it("reports paths it cannot reset: an object removed from the new inputs, an array that changed length", () => {
        assert.deepStrictEqual(engineUpdateInputs({ s: { d: 1 } }, {}, ["s.d"]).invalidPaths, ["s.d"]);
        assert.deepStrictEqual(engineUpdateInputs({}, { s: { d: 1 } }, ["s.d"]), { inputs: { s: {} }, invalidPaths: [] });
        const arrays = engineUpdateInputs({ l: [{ x: 1 }, { x: 2 }] }, { l: [{ x: 9 }] }, ["l[0].x", "l[1].x"]);
        assert.deepStrictEqual(arrays, { inputs: { l: [{ x: 1 }] }, invalidPaths: ["l[1].x"] });
    });

    it("a bridged update reads the prior state at ignored paths and at omitted Optional+Computed attributes", () => {
        const prior = { desiredNodes: 4, minNodes: 0, maxNodes: 20, scalingConfig: { desiredSize: 4 } };
        assert.deepStrictEqual(bridgedUpdateValues(prior, { minNodes: 2, maxNodes: 10 }, [], ["desiredNodes"]),
            { minNodes: 2, maxNodes: 10, desiredNodes: 4 });
        assert.deepStrictEqual(bridgedUpdateValues(prior, { scalingConfig: { desiredSize: 0 } }, ["scalingConfig.desiredSize"]),
            { scalingConfig: { desiredSize: 4 } });
        assert.deepStrictEqual(bridgedUpdateValues(prior, { desiredNodes: 7 }, [], ["desiredNodes"]), { desiredNodes: 7 });
    });
});

describe("desiredNodeCount", () => {
    it("creates at the minimum, then keeps the live size within the new bounds", () => {
        const bounds = { minNodes: 2, maxNodes: 10 };
        assert.strictEqual(desiredNodeCount(undefined, bounds), 2);
        assert.deepStrictEqual([0, 2, 5, 10, 15].map(live => desiredNodeCount(live, bounds)), [2, 2, 5, 10, 10]);
    });
});
