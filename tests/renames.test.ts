/**
 * Renaming a hub or cluster key with `renamedFrom` keeps every resource: the program registers exactly the
 * same resources with the same inputs, so the engine finds each under its old URN and the cloud sees no
 * name change (a changed cloud name would replace the resource whatever Pulumi aliases say).
 */
import * as assert from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { stableJson } from "../components/util";
import { stripSecrets } from "../scripts/engineModel/helmRelease";
import { readStackFile } from "../scripts/stackConfig";
import { useMocks } from "./harness";

const ROOT = path.join(__dirname, "..");
const NS = "jupyterhub-fleet";

interface Run {
    /** `type::name` -> inputs as sent, secrets unwrapped. */
    readonly resources: Map<string, string>;
    readonly outputs: Record<string, any>;
}

async function run(config: Record<string, string>, secretKeys: string[]): Promise<Run> {
    const recorder = useMocks({ stack: "prod", config, secretKeys });
    const { loadFleetConfig } = await import("../components/config");
    const { deployFleet } = await import("../components/fleet");
    const fleet = deployFleet(loadFleetConfig());
    const outputs = await new Promise<Record<string, any>>(resolve =>
        pulumi.output(fleet.outputs as unknown as pulumi.Input<object>).apply(value => resolve(value as Record<string, any>)));
    await Promise.all(Object.values(fleet.hubs).map(hub => new Promise(resolve => hub.release.status.apply(resolve))));
    return {
        resources: new Map(recorder.resources.map(r => [`${r.type}::${r.name}`, stableJson(stripSecrets(r.wireInputs))])),
        outputs,
    };
}

/** Renames `from` to `to` in a stack config map (hubs, hubSecrets, clusters, and hubs' cluster references). */
function renamed(config: Record<string, string>, kind: "hubs" | "clusters", from: string, to: string): Record<string, string> {
    const parsed = Object.fromEntries(Object.entries(config).map(([key, value]) => [key, JSON.parse(value)]));
    const rename = (map: Record<string, any>) => Object.fromEntries(Object.entries(map).map(([key, value]) =>
        key === from ? [to, { ...value, ...(map === parsed[`${NS}:${kind}`] ? { renamedFrom: from } : {}) }] : [key, value]));
    parsed[`${NS}:${kind}`] = rename(parsed[`${NS}:${kind}`]);
    if (kind === "hubs") parsed[`${NS}:hubSecrets`] = rename(parsed[`${NS}:hubSecrets`]);
    if (kind === "clusters") {
        for (const hub of Object.values(parsed[`${NS}:hubs`]) as Record<string, any>[]) {
            if (hub.cluster === from) hub.cluster = to;
        }
        if (parsed[`${NS}:clusterSecrets`]?.[from]) parsed[`${NS}:clusterSecrets`] = rename(parsed[`${NS}:clusterSecrets`]);
    }
    return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, JSON.stringify(value)]));
}

function differences(before: Run, after: Run): string[] {
    const keys = new Set([...before.resources.keys(), ...after.resources.keys()]);
    return [...keys].filter(key => before.resources.get(key) !== after.resources.get(key)).sort();
}

describe("renames with renamedFrom", function () {
    this.timeout(120000);
    let base: Run;
    let stack: ReturnType<typeof readStackFile>;

    before(async () => {
        stack = readStackFile("prod", ROOT);
        base = await run(stack.config, stack.secretKeys);
    });

    it("hubs and clusters renamed on every cloud keep every resource and its inputs; outputs move to the new keys", async () => {
        let config = stack.config;
        for (const [from, to] of [["research", "ocean-research"], ["climate", "climate-lab"], ["gfts", "gfts-hub"], ["oceans", "ocean-homes"]]) {
            config = renamed(config, "hubs", from, to);
        }
        for (const [from, to] of [["uw2", "us-west"], ["exr-prod", "exr"], ["gfts", "gfts-ovh"], ["exr-homes", "exr-nfs"]]) {
            config = renamed(config, "clusters", from, to);
        }
        const after = await run(config, stack.secretKeys);
        assert.deepStrictEqual(differences(base, after), []);
        assert.deepStrictEqual(Object.keys(after.outputs.hubs).sort(), ["climate-lab", "gfts-hub", "ocean-homes", "ocean-research", "teaching"]);
        assert.deepStrictEqual(Object.keys(after.outputs.clusters).sort(), ["exr", "exr-nfs", "gfts-ovh", "us-west"]);
        assert.strictEqual(after.outputs.hubs["ocean-research"].namespace, "research", "the namespace keeps its name");
        assert.strictEqual(after.outputs.hubs["ocean-research"].cluster, "us-west", "outputs name the new cluster key");
    });

    it("without renamedFrom, the same rename would replace the hub's resources: the test can tell", async () => {
        const parsed = JSON.parse(renamed(stack.config, "hubs", "teaching", "courses")[`${NS}:hubs`]);
        delete parsed.courses.renamedFrom;
        const after = await run({ ...renamed(stack.config, "hubs", "teaching", "courses"), [`${NS}:hubs`]: JSON.stringify(parsed) }, stack.secretKeys);
        assert.ok(differences(base, after).some(key => key === "kubernetes:core/v1:Namespace::teaching-namespace"));
    });
});
