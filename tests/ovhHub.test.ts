/**
 * An OVH cluster and a hub on it, together under mocks: where each user's S3 keys end up (their own Secret in
 * the hub's namespace), where they must not (the release's values, the hub's files, other hubs), and that the
 * spawn hook only ever names Secrets the hub has. Also the wait that keeps bucket calls behind OVH's policy
 * propagation.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { OvhClusterSpec, parseFleetConfig } from "../components/config";
import { SPAWN_HOOK_RUNNER } from "../components/hooks/spawnHooks";
import { KEY_INDEX_FILE_NAME } from "../components/ovh/credentials";
import { stripSecrets } from "../scripts/engineModel/helmRelease";
import { MockRecorder, unwrapSecret, useMocks, valueOf } from "./harness";

const SECRET = "kubernetes:core/v1:Secret";
const PROJECT = "0123456789abcdef0123456789abcdef";

function ovhFleet() {
    const cluster = {
        provider: "ovh", serviceName: PROJECT, region: "GRA11", kubernetesVersion: "1.34", s3: { region: "gra" },
        network: { vlanId: 12, cidr: "10.42.0.0/16" },
        nodePools: { core: { machineType: "b3-8", minNodes: 1, maxNodes: 2 }, user: { machineType: "r3-32", minNodes: 0, maxNodes: 4 } },
        homeStorage: { type: "dynamic", size: "10Gi" },
        buckets: { "gfts-data": {}, "gfts-vliz": {} },
        accessGroups: {
            default: { read: ["gfts-data"] },
            admins: { members: ["annefou"], admin: true },
            vliz: { members: ["davidcasalsvliz"], write: ["gfts-vliz"] },
        },
    };
    const hub = (allowedUsers: string[]) => ({
        cluster: "gfts", auth: { type: "github", clientId: "Iv1.abc", allowedUsers }, bucketEnv: { SCRATCH_BUCKET: "gfts-data" },
    });
    return parseFleetConfig({
        clusters: { gfts: cluster },
        // Two hubs on one cluster: the VLIZ member logs in to `vliz` only.
        hubs: { gfts: hub(["annefou"]), vliz: hub(["davidcasalsvliz"]) },
        hubSecrets: { gfts: { auth: { clientSecret: "s" } }, vliz: { auth: { clientSecret: "s" } } },
    }, { stack: "prod", secretKeys: ["hubSecrets"] });
}

/** The Secrets a hub's namespace gets, by name: whether stringData went secret on the wire, and its values. */
function namespaceSecrets(recorder: MockRecorder, namespace: string): Record<string, { secret: boolean; data: Record<string, string> }> {
    return Object.fromEntries(recorder.ofType(SECRET).filter(r => r.inputs.metadata.namespace === namespace).map(r => {
        const stringData = r.wireInputs.stringData;
        const { secret, value } = unwrapSecret(stringData);
        const data = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, unwrapSecret(v).value]));
        return [r.inputs.metadata.name, { secret: secret || Object.values(stringData).every(v => unwrapSecret(v).secret), data }];
    }));
}

describe("OVH hubs: per-user key Secrets", () => {
    let recorder: MockRecorder;

    before(async () => {
        recorder = useMocks({ stack: "prod" });
        const { OvhCluster } = await import("../components/ovh/cluster");
        const { Hub } = await import("../components/hub");
        const fleet = ovhFleet();
        const platform = new OvhCluster("gfts", { cluster: fleet.clusters.gfts as OvhClusterSpec, hubs: fleet.hubs });
        const hubs = ["gfts", "vliz"].map(key => new Hub(key, { hubKey: key, hub: fleet.hubs[key], secrets: fleet.hubSecrets[key], platform }));
        await valueOf(pulumi.all(hubs.map(h => h.release.status)));
    });

    it("puts each admitted member's keys, and the default group's, in a Secret of their own in the hub's namespace", () => {
        const gfts = namespaceSecrets(recorder, "gfts");
        assert.deepStrictEqual(Object.keys(gfts).sort(), ["fleet-platform-files", "s3-keys-default", "s3-keys-user-annefou"]);
        assert.deepStrictEqual(gfts["s3-keys-user-annefou"], {
            secret: true, data: { AWS_ACCESS_KEY_ID: "AK-gfts-access-admins/annefou", AWS_SECRET_ACCESS_KEY: "SECRET-gfts-access-admins/annefou" },
        });
        assert.deepStrictEqual(Object.keys(namespaceSecrets(recorder, "vliz")).sort(),
            ["fleet-platform-files", "s3-keys-default", "s3-keys-user-davidcasalsvliz"]);
    });

    it("keeps every key out of the release's values and out of the files the hub pod mounts", () => {
        const keys = recorder.ofType("ovh:CloudProject/s3Credential:S3Credential").flatMap(c => [`AK-${c.name}`, `SECRET-${c.name}`]);
        for (const hub of ["gfts", "vliz"]) {
            const values = JSON.stringify(recorder.get("kubernetes:helm.sh/v3:Release", `${hub}-release`).wireInputs.values);
            const files = JSON.stringify(namespaceSecrets(recorder, hub)["fleet-platform-files"].data);
            for (const key of keys) {
                assert.ok(!values.includes(key), `${key} in the values of ${hub}`);
                assert.ok(!files.includes(key), `${key} in the platform files of ${hub}`);
            }
        }
    });

    it("has the spawn hook name, for every user, a Secret and keys the hub's namespace holds", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-ovh-hub-"));
        for (const hub of ["gfts", "vliz"]) {
            const secrets = namespaceSecrets(recorder, hub);
            const indexPath = path.join(dir, `${hub}-${KEY_INDEX_FILE_NAME}`);
            fs.writeFileSync(indexPath, secrets["fleet-platform-files"].data[KEY_INDEX_FILE_NAME]);
            const values = stripSecrets(recorder.get("kubernetes:helm.sh/v3:Release", `${hub}-release`).wireInputs.values) as any;
            const hook = (values.hub.extraConfig["50-ovh-s3-keys"] as string).replace(/\/etc\/jupyterhub\/platform\/s3-key-secrets\.json/g, indexPath);
            const driver = `
import asyncio, json, logging, sys, types
c = types.SimpleNamespace(Spawner=types.SimpleNamespace())
namespace = {"c": c}
exec(sys.argv[1], namespace)
exec(sys.argv[2], namespace)
envs = {}
for user in sys.argv[3:]:
    spawner = types.SimpleNamespace(user=types.SimpleNamespace(name=user), environment={}, log=logging.getLogger("hub"))
    asyncio.run(c.Spawner.pre_spawn_hook(spawner))
    envs[user] = spawner.environment
print(json.dumps(envs))
`;
            const users = ["annefou", "davidcasalsvliz", "someone-else"];
            const result = spawnSync("python3", ["-c", driver, SPAWN_HOOK_RUNNER, hook, ...users], { encoding: "utf8" });
            assert.strictEqual(result.status, 0, result.stderr);
            const envs = JSON.parse(result.stdout) as Record<string, Record<string, { valueFrom: { secretKeyRef: { name: string; key: string } } }>>;
            for (const user of users) {
                const refs = Object.values(envs[user]).map(value => value.valueFrom.secretKeyRef);
                for (const { name, key } of refs) {
                    assert.ok(secrets[name]?.data[key] !== undefined, `${hub}: ${user} would reference ${name}/${key}, which the namespace lacks`);
                }
                const own = (hub === "gfts" && user === "annefou") || (hub === "vliz" && user === "davidcasalsvliz");
                assert.deepStrictEqual(refs.map(r => r.name), Array(2).fill(own ? `s3-keys-user-${user}` : "s3-keys-default"), `${hub} ${user}`);
            }
        }
    });
});

describe("OVH: the wait for S3 policy propagation", () => {
    it("waits on create and on a change of user, key or policy, and on nothing else", async () => {
        const { s3PolicyPropagationProvider: provider } = await import("../components/ovh/policyPropagation");
        const inputs = { userId: "u1", credentialId: "c1", policy: "{\"Statement\":[]}", seconds: 0.3 };
        let started = Date.now();
        const created = await provider.create(inputs);
        assert.ok(Date.now() - started >= 290, `create returned after ${Date.now() - started} ms`);
        assert.deepStrictEqual(created, { id: "u1", outs: inputs });

        for (const field of ["userId", "credentialId", "policy"] as const) {
            assert.deepStrictEqual(await provider.diff!("u1", inputs, { ...inputs, [field]: "changed" }), { changes: true }, field);
        }
        assert.deepStrictEqual(await provider.diff!("u1", inputs, { ...inputs, seconds: 10 }), { changes: false });
        assert.deepStrictEqual(await provider.diff!("u1", inputs, { ...inputs }), { changes: false });

        started = Date.now();
        const updated = await provider.update!("u1", inputs, { ...inputs, policy: "new" });
        assert.ok(Date.now() - started >= 290, `update returned after ${Date.now() - started} ms`);
        assert.deepStrictEqual(updated, { outs: { ...inputs, policy: "new" } });
    });
});
