/**
 * The OVH platform under mocks (network, Kubernetes, node pools, buckets, per-user S3 resources, secretness
 * of every key) and its spawn hook run by a real python3.
 */
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { OvhClusterSpec, parseFleetConfig } from "../components/config";
import { SPAWN_HOOK_RUNNER } from "../components/hooks/spawnHooks";
import { FALLBACK_KEY, KEY_INDEX_FILE_NAME, s3KeysSpawnHook } from "../components/ovh/credentials";
import { nodePoolTemplate, subnetRange } from "../components/ovh/kubeSpec";
import { accessPrincipals } from "../components/ovh/s3Policies";
import { HubAccess } from "../components/platform";
import { stableJson } from "../components/util";
import { bridgedUpdateValues, engineUpdateInputs, PropertyMap } from "../scripts/engineModel/ignoreChanges";
import { invokeError } from "../scripts/mocks";
import {
    MockRecorder, OptionsRecorder, RecordedResource, isSecret, settledValueOf, unwrapSecret, useMocks, valueOf,
} from "./harness";

type OvhClusterType = InstanceType<typeof import("../components/ovh/cluster")["OvhCluster"]>;

const T = {
    network: "ovh:CloudProject/networkPrivate:NetworkPrivate",
    subnet: "ovh:CloudProject/networkPrivateSubnet:NetworkPrivateSubnet",
    kube: "ovh:CloudProject/kube:Kube",
    pool: "ovh:CloudProject/kubeNodePool:KubeNodePool",
    user: "ovh:CloudProject/user:User",
    credential: "ovh:CloudProject/s3Credential:S3Credential",
    policy: "ovh:CloudProject/s3Policy:S3Policy",
    awsProvider: "pulumi:providers:aws",
    k8sProvider: "pulumi:providers:kubernetes",
    bucket: "aws:s3/bucket:Bucket",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    storageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
    gateway: "ovh:CloudProject/gateway:Gateway",
    policyWait: "pulumi-nodejs:dynamic/ovh:S3PolicyPropagation",
};

const PROJECT = "0123456789abcdef0123456789abcdef";
const GET_POOL = "ovh:CloudProject/getKubeNodePool:getKubeNodePool";
const KUBECONFIG = "apiVersion: v1\nkind: Config\nusers: [{name: admin, user: {client-key-data: c2VjcmV0}}]\n";

/** What the mocked OVH API returns; every secret key is distinct so a leak can be traced. */
const OVH_OUTPUTS = {
    [T.kube]: (name: string, inputs: Record<string, any>) => ({ kubeconfig: KUBECONFIG, name: inputs.name ?? name }),
    [T.network]: () => ({ regionsOpenstackIds: { GRA11: "openstack-net-gra11" } }),
    [T.credential]: (name: string) => ({ accessKeyId: `AK-${name}`, secretAccessKey: `SECRET-${name}` }),
};

function seedCluster(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        provider: "ovh",
        serviceName: PROJECT,
        region: "GRA11",
        kubernetesVersion: "1.33",
        s3: { region: "gra" },
        network: { vlanId: 12, cidr: "10.42.0.0/16" },
        nodePools: {
            core: { machineType: "b3-8", minNodes: 1, maxNodes: 2 },
            user: { machineType: "r3-32", minNodes: 0, maxNodes: 10 },
        },
        homeStorage: { type: "dynamic", size: "100Gi" },
        buckets: {
            "gfts-reference-data": {}, "destine-gfts-data-lake": {}, "gfts-ifremer": {}, "gfts-vliz": {},
            "scratch": { name: "gfts-scratch", deleteAfterDays: 7 },
        },
        accessGroups: {
            "default": { read: ["gfts-reference-data", "destine-gfts-data-lake"] },
            "admins": { members: ["annefou", "minrk"], admin: true },
            "ifremer-developers": { members: ["aderrien7"], write: ["gfts-ifremer", "gfts-reference-data"] },
            "ifremer-users": { members: ["ifremer-example"], write: ["gfts-ifremer"] },
            "vliz": { members: ["davidcasalsvliz"], write: ["gfts-vliz"] },
        },
        ...overrides,
    };
}

/** One GitHub hub per cluster (allowing annefou), named after it, plus `extraHubs`. */
function fleet(clusters: Record<string, unknown>, extraHubs: Record<string, Record<string, unknown>> = {}) {
    const hubs: Record<string, unknown> = Object.fromEntries(Object.keys(clusters).map(key => [key, {
        cluster: key,
        auth: { type: "github", clientId: "Iv1.abc", allowedUsers: ["annefou"] },
        bucketEnv: { SCRATCH_BUCKET: "scratch" },
    }]));
    Object.assign(hubs, extraHubs);
    const hubSecrets = Object.fromEntries(Object.keys(hubs).map(key => [key, { auth: { clientSecret: "s" } }]));
    return parseFleetConfig({ clusters, hubs, hubSecrets }, { stack: "prod", secretKeys: ["hubSecrets"] });
}

/** The names of the resources a resource was registered to wait for (`dependsOn`), sorted. */
async function dependencyNames(opts: pulumi.ResourceOptions): Promise<string[]> {
    const resources = ([] as pulumi.Input<pulumi.Resource>[]).concat(opts.dependsOn as pulumi.Input<pulumi.Resource>[] ?? []);
    const urns = await Promise.all(resources.map(r => valueOf(pulumi.output(r).apply(resource => resource.urn))));
    return urns.map(urn => urn.split("::").pop()!).sort();
}

/** Every secret value the mocks hand out. */
function mockedSecrets(recorder: MockRecorder): string[] {
    return [...recorder.ofType(T.credential).flatMap(c => [`SECRET-${c.name}`, `AK-${c.name}`]), "c2VjcmV0"];
}

describe("OVH cluster", () => {
    let recorder: MockRecorder;
    const options = new OptionsRecorder();
    let cluster: OvhClusterType;
    let spec: OvhClusterSpec;
    let access: HubAccess;

    before(async () => {
        recorder = useMocks({ stack: "prod", outputs: OVH_OUTPUTS });
        const { OvhCluster } = await import("../components/ovh/cluster");
        const config = fleet({ gfts: seedCluster() }, {
            // A second hub on the cluster, admitting by organization: any member may log in there.
            community: { cluster: "gfts", auth: { type: "github", clientId: "Iv1.def", allowedOrganizations: ["gfts"] } },
        });
        spec = config.clusters.gfts as OvhClusterSpec;
        cluster = new OvhCluster("gfts", { cluster: spec, hubs: { gfts: config.hubs.gfts, community: config.hubs.community } },
            { transformations: [options.transformation] });
        access = cluster.hubAccess("gfts");
        await valueOf(access.hubSecretFiles[0].content);
        await valueOf(cluster.homeStorageClass);
        await valueOf(cluster.kubeconfig);
        await valueOf(pulumi.all(Object.values(cluster.buckets).map(b => b.url)));
    });

    it("protects the cluster, its network and its subnet: a replacement would lose the cluster's etcd", () => {
        for (const [type, name] of [[T.network, "gfts-network"], [T.subnet, "gfts-subnet"], [T.kube, "gfts-kube"]]) {
            assert.strictEqual(options.of(type, name).protect, true, name);
        }
        assert.notStrictEqual(options.of(T.pool, "gfts-pool-user").protect, true, "pools are replaceable");
    });

    it("puts the cluster on its own private network, on a subnet with a gateway IP left out of DHCP", () => {
        const network = recorder.get(T.network, "gfts-network").inputs;
        assert.deepStrictEqual([network.serviceName, network.regions, network.vlanId], [PROJECT, ["GRA11"], 12]);
        const subnet = recorder.get(T.subnet, "gfts-subnet").inputs;
        assert.deepStrictEqual(
            [subnet.region, subnet.network, subnet.start, subnet.end, subnet.networkId, subnet.dhcp, subnet.noGateway],
            ["GRA11", "10.42.0.0/16", "10.42.0.2", "10.42.255.254", "gfts-network-id", true, false]);
    });

    it("gives the subnet an OVH Gateway, which a public Octavia load balancer (the hub's proxy) needs for its floating IP", async () => {
        // OVH guide "Expose your applications using OVHcloud Public Cloud Load Balancer", Requirements; arguments as in
        // ovh/terraform-provider-ovh docs/resources/cloud_project_gateway.md (network_id: the region's OpenStack id).
        const gateway = recorder.get(T.gateway, "gfts-gateway").inputs;
        assert.deepStrictEqual(gateway, {
            serviceName: PROJECT, name: "gfts", model: "s", region: "GRA11", networkId: "openstack-net-gra11", subnetId: "gfts-subnet-id",
        });
        assert.notStrictEqual(options.of(T.gateway, "gfts-gateway").protect, true, "the gateway holds no data and may be replaced");
        assert.deepStrictEqual(await dependencyNames(options.of(T.kube, "gfts-kube")), ["gfts-gateway"]);
    });

    it("creates the managed cluster at the pinned version on that subnet, and keeps its kubeconfig secret", async () => {
        const kube = recorder.get(T.kube, "gfts-kube").inputs;
        assert.deepStrictEqual([kube.region, kube.version, kube.updatePolicy, kube.privateNetworkId, kube.nodesSubnetId],
            ["GRA11", "1.33", "MINIMAL_DOWNTIME", "openstack-net-gra11", "gfts-subnet-id"]);
        // Setting it on an existing cluster would redeploy it (resourceCloudProjectKubeUpdate, privateNetworkConfiguration).
        assert.strictEqual(kube.privateNetworkConfiguration, undefined);
        assert.ok(await isSecret(cluster.kubeconfig));
        assert.strictEqual(await valueOf(cluster.kubeconfig), KUBECONFIG);
        const provider = recorder.get(T.k8sProvider, "gfts-k8s").inputs;
        assert.strictEqual(provider.clusterIdentifier, "gfts-kube-id");
        assert.ok(unwrapSecret(provider.kubeconfig).secret, "the k8s provider's kubeconfig input must be secret");
    });

    it("creates one autoscaling pool per entry, with the full template, at its minimum while it does not exist", () => {
        assert.deepStrictEqual(recorder.ofType(T.pool).map(p => p.name).sort(), ["gfts-pool-core", "gfts-pool-user"]);
        const user = recorder.get(T.pool, "gfts-pool-user").inputs;
        assert.deepStrictEqual(
            [user.kubeId, user.name, user.flavorName, user.autoscale, user.minNodes, user.maxNodes, user.desiredNodes],
            ["gfts-kube-id", "user", "r3-32", true, 0, 10, 0]);
        assert.deepStrictEqual(user.template, {
            metadata: { annotations: {}, finalizers: [], labels: { "hub.jupyter.org/node-purpose": "user", "jupyterhub-fleet/node-pool": "user" } },
            spec: { taints: [{ key: "hub.jupyter.org/dedicated", value: "user", effect: "NoSchedule" }], unschedulable: false },
        });
        const core = recorder.get(T.pool, "gfts-pool-core").inputs;
        assert.deepStrictEqual(core.template.spec.taints, []);
        assert.deepStrictEqual(core.template.metadata.labels, { "hub.jupyter.org/node-purpose": "core", "jupyterhub-fleet/node-pool": "core" });
        assert.strictEqual(recorder.get(T.pool, "gfts-pool-core").inputs.desiredNodes, 1);
        for (const name of ["gfts-pool-core", "gfts-pool-user"]) {
            assert.deepStrictEqual(options.of(T.pool, name).ignoreChanges ?? [], [], "an ignored desiredNodes would resend a stale count");
        }
        const reads = recorder.calls.filter(c => c.token === GET_POOL).map(c => [c.args.serviceName, c.args.kubeId, c.args.name]);
        assert.deepStrictEqual(reads.sort(), [[PROJECT, "gfts-kube-id", "core"], [PROJECT, "gfts-kube-id", "user"]]);
    });

    it("points the S3 provider at OVH with the operator's keys", () => {
        const inputs = recorder.get(T.awsProvider, "gfts-storage-s3").inputs;
        const endpoints = typeof inputs.endpoints === "string" ? JSON.parse(inputs.endpoints) : inputs.endpoints;
        assert.deepStrictEqual(endpoints, [{ s3: "https://s3.gra.io.cloud.ovh.net" }]);
        assert.strictEqual(inputs.region, "gra");
        for (const flag of ["skipCredentialsValidation", "skipRequestingAccountId", "skipRegionValidation", "skipMetadataApiCheck", "s3UsePathStyle"]) {
            assert.ok([true, "true"].includes(inputs[flag]), `${flag} = ${inputs[flag]}`);
        }
        assert.strictEqual(unwrapSecret(inputs.accessKey).value, "AK-gfts-storage-operator");
        assert.deepStrictEqual(unwrapSecret(inputs.secretKey), { secret: true, value: "SECRET-gfts-storage-operator" });
    });

    it("creates protected buckets through that provider, without ACLs, and expires scratch objects", async () => {
        const buckets = recorder.ofType(T.bucket);
        assert.deepStrictEqual(buckets.map(b => b.inputs.bucket).sort(),
            ["destine-gfts-data-lake", "gfts-ifremer", "gfts-reference-data", "gfts-scratch", "gfts-vliz"]);
        for (const bucket of buckets) {
            assert.strictEqual(bucket.inputs.forceDestroy, false);
            assert.strictEqual(options.of(T.bucket, bucket.name).protect, true, bucket.name);
            assert.match(bucket.provider ?? "", /::gfts-storage-s3::/);
        }
        assert.deepStrictEqual(recorder.resources.filter(r => /acl|publicAccessBlock|ownershipControls/i.test(r.type)), []);
        const [lifecycle] = recorder.ofType(T.lifecycle);
        assert.strictEqual(recorder.ofType(T.lifecycle).length, 1);
        assert.strictEqual(lifecycle.inputs.bucket, "gfts-scratch");
        assert.deepStrictEqual(lifecycle.inputs.rules, [{
            id: "expire-after-7-days", status: "Enabled", filter: { prefix: "" }, expiration: { days: 7 },
        }]);
        assert.strictEqual(await valueOf(cluster.buckets.scratch.url), "s3://gfts-scratch");
    });

    it("gives the bucket operator one policy reaching only the cluster's buckets", () => {
        const operator = recorder.get(T.user, "gfts-storage-operator").inputs;
        assert.deepStrictEqual(operator.roleNames, ["objectstore_operator"]);
        const policy = JSON.parse(recorder.get(T.policy, "gfts-storage-operator").inputs.policy);
        assert.deepStrictEqual(policy.Statement[0].Action, ["s3:*"]);
        assert.ok(policy.Statement[0].Resource.includes("arn:aws:s3:::gfts-scratch/*"));
        assert.ok(!policy.Statement[0].Resource.includes("arn:aws:s3:::*"));
    });

    it("creates one user, one credential and exactly one policy per member and one for the default group", () => {
        const expected = accessPrincipals("gfts", spec);
        const names = expected.map(p => `gfts-access-${p.id}`).sort();
        const inAccess = (rs: RecordedResource[]) => rs.filter(r => r.name.startsWith("gfts-access-")).map(r => r.name).sort();
        assert.deepStrictEqual(inAccess(recorder.ofType(T.user)), names);
        assert.deepStrictEqual(inAccess(recorder.ofType(T.credential)), names);
        assert.deepStrictEqual(inAccess(recorder.ofType(T.policy)), names);
        assert.strictEqual(recorder.ofType(T.user).filter(u => u.name === "gfts-access-default").length, 1);

        const policiesPerUser = new Map<string, number>();
        for (const policy of recorder.ofType(T.policy)) {
            policiesPerUser.set(policy.inputs.userId, (policiesPerUser.get(policy.inputs.userId) ?? 0) + 1);
        }
        assert.strictEqual(policiesPerUser.size, recorder.ofType(T.user).length);
        assert.ok([...policiesPerUser.values()].every(n => n === 1), JSON.stringify([...policiesPerUser]));

        for (const principal of expected) {
            const name = `gfts-access-${principal.id}`;
            const policy = recorder.get(T.policy, name).inputs;
            assert.strictEqual(policy.userId, `${name}-id`);
            assert.strictEqual(policy.policy, stableJson(principal.policy));
            assert.strictEqual(policy.serviceName, PROJECT);
            const user = recorder.get(T.user, name).inputs;
            assert.deepStrictEqual(user.roleNames, ["objectstore_operator"]);
            assert.ok(user.description.includes(principal.login ?? "without a group"), user.description);
        }
        assert.match(recorder.get(T.user, "gfts-access-vliz/davidcasalsvliz").inputs.description, /davidcasalsvliz \(group vliz\)/);
    });

    it("gives each hub the key Secrets of the members it can admit and the default group's, and an index of them", async () => {
        const secretsOf = async (hubAccess: HubAccess) => {
            const result: Record<string, Record<string, string>> = {};
            for (const secret of hubAccess.userPodSecrets ?? []) {
                for (const value of Object.values(secret.data)) assert.ok(await isSecret(value), `${secret.name} holds a plain value`);
                result[secret.name] = await valueOf(pulumi.all(secret.data));
            }
            return result;
        };
        // Hub gfts lists annefou only: the other members' keys stay out of its namespace.
        assert.deepStrictEqual(await secretsOf(access), {
            "s3-keys-default": { AWS_ACCESS_KEY_ID: "AK-gfts-access-default", AWS_SECRET_ACCESS_KEY: "SECRET-gfts-access-default" },
            "s3-keys-user-annefou": { AWS_ACCESS_KEY_ID: "AK-gfts-access-admins/annefou", AWS_SECRET_ACCESS_KEY: "SECRET-gfts-access-admins/annefou" },
        });
        assert.deepStrictEqual(access.hubSecretFiles.map(f => f.fileName), [KEY_INDEX_FILE_NAME]);
        assert.deepStrictEqual(JSON.parse(await valueOf(access.hubSecretFiles[0].content)),
            { [FALLBACK_KEY]: "s3-keys-default", annefou: "s3-keys-user-annefou" });
        // Hub community admits a whole organization, so any member may log in there.
        const community = cluster.hubAccess("community");
        assert.deepStrictEqual(Object.keys(await secretsOf(community)).sort(), [
            "s3-keys-default", "s3-keys-user-aderrien7", "s3-keys-user-annefou", "s3-keys-user-davidcasalsvliz",
            "s3-keys-user-ifremer-example", "s3-keys-user-minrk",
        ]);
        assert.deepStrictEqual(Object.keys(JSON.parse(await valueOf(community.hubSecretFiles[0].content))).sort(),
            ["*", "aderrien7", "annefou", "davidcasalsvliz", "ifremer-example", "minrk"]);
    });

    it("creates buckets only once OVH applies the operator's policy and key, and waits again when either changes", async () => {
        const wait = recorder.get(T.policyWait, "gfts-storage-operator-policy").inputs;
        assert.deepStrictEqual([wait.userId, wait.credentialId, wait.policy, wait.seconds], [
            "gfts-storage-operator-id", "gfts-storage-operator-id", recorder.get(T.policy, "gfts-storage-operator").inputs.policy, 45,
        ]);
        for (const bucket of recorder.ofType(T.bucket)) {
            assert.deepStrictEqual(await dependencyNames(options.of(T.bucket, bucket.name)), ["gfts-storage-operator-policy"], bucket.name);
        }
        assert.deepStrictEqual(await dependencyNames(options.of(T.lifecycle, "gfts-storage-scratch-expiry")), ["gfts-storage-operator-policy"]);
    });

    it("stores both halves of every S3 key as secrets in the state, access key ids included", () => {
        const credentials = recorder.ofType(T.credential).map(c => c.name);
        assert.ok(credentials.includes("gfts-storage-operator") && credentials.includes("gfts-access-default"));
        for (const name of credentials) {
            // The provider schema marks only secretAccessKey secret; the engine applies these to the stored outputs.
            const secretOutputs = (options.of(T.credential, name) as pulumi.CustomResourceOptions).additionalSecretOutputs ?? [];
            assert.deepStrictEqual([...new Set(secretOutputs)].sort(), ["accessKeyId", "secretAccessKey"], name);
        }
    });

    it("never passes a key or the kubeconfig to any resource in plain text", () => {
        const secrets = mockedSecrets(recorder);
        const leaks: string[] = [];
        for (const resource of recorder.resources) {
            for (const [key, raw] of Object.entries(resource.inputs)) {
                const { secret, value } = unwrapSecret(raw);
                const text = JSON.stringify(value) ?? "";
                if (!secret && secrets.some(s => text.includes(s))) leaks.push(`${resource.type} ${resource.name}.${key}`);
            }
        }
        assert.deepStrictEqual(leaks, []);
    });

    it("gives users the endpoint, region, checksum settings and bucket variables, and keeps metadata blocked", async () => {
        const env = await valueOf(pulumi.output(access.env));
        assert.deepStrictEqual(env, {
            AWS_ENDPOINT_URL_S3: "https://s3.gra.io.cloud.ovh.net",
            AWS_DEFAULT_REGION: "gra",
            AWS_REQUEST_CHECKSUM_CALCULATION: "WHEN_REQUIRED",
            AWS_RESPONSE_CHECKSUM_VALIDATION: "WHEN_REQUIRED",
            SCRATCH_BUCKET: "s3://gfts-scratch/$(JUPYTERHUB_USER)",
            PANGEO_SCRATCH: "s3://gfts-scratch/$(JUPYTERHUB_USER)",
        });
        assert.strictEqual(access.cloudMetadata, "block");
        assert.deepStrictEqual(Object.keys(access.hubExtraConfig), ["50-ovh-s3-keys"]);
        assert.match(access.hubExtraConfig["50-ovh-s3-keys"], /\/etc\/jupyterhub\/platform\/s3-key-secrets\.json/);
        assert.deepStrictEqual(access.serviceAccountAnnotations, {});
        assert.throws(() => cluster.hubAccess("elsewhere"), /hub elsewhere does not run on cluster gfts \(its hubs: gfts, community\)/);
    });

    it("keeps user homes on a protected, retaining, expandable Cinder class", async () => {
        const storageClass = recorder.get(T.storageClass, "gfts-homes");
        assert.deepStrictEqual(
            [storageClass.inputs.metadata.name, storageClass.inputs.provisioner, storageClass.inputs.reclaimPolicy, storageClass.inputs.allowVolumeExpansion],
            ["jupyterhub-user-homes", "cinder.csi.openstack.org", "Retain", true]);
        assert.strictEqual(options.of(T.storageClass, "gfts-homes").protect, true);
        assert.match(storageClass.provider ?? "", /::gfts-k8s::/);
        const home = cluster.homeVolume("gfts");
        assert.strictEqual(home.kind, "dynamic");
        assert.deepStrictEqual(home.kind === "dynamic" && [await valueOf(home.storageClass!), home.capacity], ["jupyterhub-user-homes", "100Gi"]);
    });

    it("exposes the platform's facts", () => {
        assert.deepStrictEqual([cluster.providerName, cluster.isLocal, cluster.clusterKey, cluster.region, cluster.s3Endpoint],
            ["ovh", false, "gfts", "GRA11", "https://s3.gra.io.cloud.ovh.net"]);
    });
});

describe("OVH cluster without access groups or deletion protection, with a named storage class and endpoint", () => {
    let recorder: MockRecorder;
    let cluster: OvhClusterType;
    const options = new OptionsRecorder();

    before(async () => {
        recorder = useMocks({ stack: "prod", outputs: OVH_OUTPUTS });
        const { OvhCluster } = await import("../components/ovh/cluster");
        const config = fleet({
            lab: seedCluster({
                accessGroups: undefined,
                s3: { region: "gra", endpoint: "https://s3.gra.perf.cloud.ovh.net" },
                homeStorage: { type: "dynamic", size: "10Gi", storageClass: "cinder-high-speed-retain" },
                buckets: { scratch: { deleteAfterDays: 1 } },
                deletionProtection: false,
            }),
        });
        cluster = new OvhCluster("lab", { cluster: config.clusters.lab as OvhClusterSpec, hubs: { lab: config.hubs.lab } },
            { transformations: [options.transformation] });
        await valueOf(cluster.homeStorageClass);
        await valueOf(cluster.buckets.scratch.url);
    });

    it("uses the configured class and endpoint, and hands out no keys", async () => {
        // Read, not created: the operator's class, checked to retain volumes (no provisioner of ours).
        assert.deepStrictEqual(recorder.ofType(T.storageClass).map(r => [r.name, r.inputs.provisioner]), [["lab-homes", undefined]]);
        const home = cluster.homeVolume("lab");
        assert.deepStrictEqual(home.kind === "dynamic" && [await valueOf(home.storageClass!), home.capacity], ["cinder-high-speed-retain", "10Gi"]);
        const access = cluster.hubAccess("lab");
        assert.deepStrictEqual([access.hubSecretFiles, access.hubExtraConfig], [[], {}]);
        assert.strictEqual((await valueOf(pulumi.output(access.env))).AWS_ENDPOINT_URL_S3, "https://s3.gra.perf.cloud.ovh.net");
        assert.deepStrictEqual(recorder.ofType(T.user).map(u => u.name), ["lab-storage-operator"]);
    });

    it("leaves the cluster and its network deletable, and the buckets protected", () => {
        for (const [type, name] of [[T.network, "lab-network"], [T.subnet, "lab-subnet"], [T.kube, "lab-kube"]]) {
            assert.strictEqual(options.of(type, name).protect, false, name);
        }
        assert.strictEqual(options.of(T.bucket, "lab-storage-scratch").protect, true);
    });
});

/**
 * A pool edit as it reaches OVH: minNodes 0 -> 2 and maxNodes 20 -> 10, flavor unchanged, on pools the autoscaler
 * left idle (0 nodes), busy within the new bounds (5) and above the new maximum (15), with the Pulumi state
 * refreshed since creation or not (`pulumi up` does not refresh by default).
 */
describe("OVH pool edit through the engine, the bridge and the OVH API", () => {
    const BEFORE = { minNodes: 0, maxNodes: 20 };
    const LIVE: Record<string, number> = { idle: 0, busy: 5, full: 15 };
    let recorder: MockRecorder;
    const options = new OptionsRecorder();

    /**
     * PUT /cloud/project/{serviceName}/kube/{kubeId}/nodepool/{id}, returning the pool's new desired count. A body
     * without desiredNodes keeps the current count (ovh/public-cloud-roadmap#267); one above maxNodes is refused
     * (ovh/terraform-provider-ovh#1241). One below minNodes is refused according to the provider's documentation
     * (`minNodes`: "Setting desiredNodes under this value will raise an error") and raised to the minimum
     * according to OVH in roadmap#267, so both are modeled.
     */
    function ovhPutNodePool(live: number, body: PropertyMap, belowMin: "refused" | "raised"): number {
        const { minNodes, maxNodes } = body as { minNodes: number; maxNodes: number };
        const desired = (body.desiredNodes as number | undefined) ?? live;
        if (desired > maxNodes) throw new Error(`400: desiredNodes ${desired} is above maxNodes ${maxNodes}`);
        if (desired < minNodes) {
            if (belowMin === "refused") throw new Error(`400: desiredNodes ${desired} is under minNodes ${minNodes}`);
            return minNodes;
        }
        return desired;
    }

    /**
     * One `pulumi up` of the edit: the engine resets ignored paths to the inputs stored at creation (desiredNodes was
     * minNodes then, 0), and the provider's Update (`CloudProjectKubeNodePoolUpdateOpts.FromResource`) sends
     * desired_nodes, Optional+Computed, as the bridge plans it from the prior state when ignored or omitted.
     * The outcome is the new count, or "shrinks a busy pool" when it is below what the autoscaler runs and the
     * new bounds allow, or the API's error.
     */
    function applyEdit(newInputs: PropertyMap, ignoreChanges: readonly string[], live: number, refreshed: boolean,
        belowMin: "refused" | "raised"): number | string {
        const created = { ...BEFORE, desiredNodes: 0 };
        const priorState = { ...BEFORE, desiredNodes: refreshed ? live : 0 };
        const engine = engineUpdateInputs(created, newInputs, ignoreChanges);
        const body = bridgedUpdateValues(priorState, engine.inputs, ignoreChanges, ["desiredNodes"]);
        try {
            const result = ovhPutNodePool(live, body, belowMin);
            const floor = Math.min(Math.max(live, body.minNodes as number), body.maxNodes as number);
            return result < floor ? `shrinks a busy pool from ${live} to ${result}` : result;
        } catch (error) {
            return (error as Error).message;
        }
    }

    function outcomes(inputsOf: (pool: string) => PropertyMap, ignoreChanges: readonly string[], belowMin: "refused" | "raised") {
        const result: Record<string, number | string> = {};
        for (const [pool, live] of Object.entries(LIVE)) {
            for (const refreshed of [false, true]) {
                result[`${pool}${refreshed ? " refreshed" : ""}`] = applyEdit(inputsOf(pool), ignoreChanges, live, refreshed, belowMin);
            }
        }
        return result;
    }

    before(async () => {
        recorder = useMocks({
            stack: "prod",
            outputs: OVH_OUTPUTS,
            calls: {
                [GET_POOL]: args => {
                    if (!(args.name in LIVE)) {
                        throw invokeError(GET_POOL, `the nodepool named ${args.name} cannot be found for cluster ${args.kubeId} in project ${args.serviceName}`);
                    }
                    return { name: args.name, desiredNodes: LIVE[args.name], ...BEFORE };
                },
            },
        });
        const { OvhCluster } = await import("../components/ovh/cluster");
        const after = { machineType: "r3-32", minNodes: 2, maxNodes: 10 };
        const config = fleet({
            edit: seedCluster({
                accessGroups: undefined,
                buckets: { scratch: {} },
                nodePools: { core: { machineType: "b3-8", minNodes: 1, maxNodes: 2 }, idle: after, busy: after, full: after },
            }),
        });
        const cluster = new OvhCluster("edit", { cluster: config.clusters.edit as OvhClusterSpec, hubs: { edit: config.hubs.edit } },
            { transformations: [options.transformation] });
        await valueOf(pulumi.all(Object.values(cluster.nodePools).map(pool => pool.desiredNodes)));
    });

    it("before this fix (desiredNodes from minNodes, ignored) fails or shrinks busy pools, whichever the API does under minNodes", () => {
        // What components/ovh/cluster.ts registered before: desiredNodes: minNodes, ignoreChanges on it.
        const oldInputs = () => ({ minNodes: 2, maxNodes: 10, desiredNodes: 2 });
        assert.deepStrictEqual(outcomes(oldInputs, ["desiredNodes"], "refused"), {
            "idle": "400: desiredNodes 0 is under minNodes 2",
            "idle refreshed": "400: desiredNodes 0 is under minNodes 2",
            "busy": "400: desiredNodes 0 is under minNodes 2",
            "busy refreshed": 5,
            "full": "400: desiredNodes 0 is under minNodes 2",
            "full refreshed": "400: desiredNodes 15 is above maxNodes 10",
        });
        assert.deepStrictEqual(outcomes(oldInputs, ["desiredNodes"], "raised"), {
            "idle": 2,
            "idle refreshed": 2,
            "busy": "shrinks a busy pool from 5 to 2",
            "busy refreshed": 5,
            "full": "shrinks a busy pool from 15 to 2",
            "full refreshed": "400: desiredNodes 15 is above maxNodes 10",
        });
    });

    it("leaving desiredNodes out instead would resend the stale count just the same", () => {
        const omitted = () => ({ minNodes: 2, maxNodes: 10 });
        assert.deepStrictEqual(outcomes(omitted, [], "raised"), outcomes(() => ({ minNodes: 2, maxNodes: 10, desiredNodes: 2 }), ["desiredNodes"], "raised"));
    });

    it("now applies on every pool, keeping what the autoscaler runs within the new bounds", () => {
        const ignored = options.of(T.pool, "edit-pool-busy").ignoreChanges ?? [];
        assert.deepStrictEqual(ignored, []);
        const recorded = (pool: string) => {
            const { minNodes, maxNodes, desiredNodes } = recorder.get(T.pool, `edit-pool-${pool}`).inputs;
            return { minNodes, maxNodes, desiredNodes };
        };
        const expected = { "idle": 2, "idle refreshed": 2, "busy": 5, "busy refreshed": 5, "full": 10, "full refreshed": 10 };
        assert.deepStrictEqual(outcomes(recorded, ignored, "refused"), expected);
        assert.deepStrictEqual(outcomes(recorded, ignored, "raised"), expected);
        assert.strictEqual(recorder.get(T.pool, "edit-pool-core").inputs.desiredNodes, 1, "a pool not created yet starts at its minimum");
    });

    it("fails on any other error reading a pool, rather than fall back to the minimum and shrink it", async () => {
        const { poolDesiredNodes } = await import("../components/ovh/poolSize");
        useMocks({ calls: { [GET_POOL]: () => { throw invokeError(GET_POOL, "calling Get /cloud/project/p/kube/k/nodepool: 403 Forbidden"); } } });
        await assert.rejects(settledValueOf(poolDesiredNodes(PROJECT, pulumi.output("k"), "user", { minNodes: 0, maxNodes: 10 }, {})),
            /403 Forbidden/);
    });
});

describe("OVH pure shapes", () => {
    it("computes the DHCP range of the private subnet", () => {
        assert.deepStrictEqual(subnetRange("10.0.0.0/16"), { start: "10.0.0.2", end: "10.0.255.254" });
        assert.deepStrictEqual(subnetRange("192.168.168.0/24"), { start: "192.168.168.2", end: "192.168.168.254" });
        assert.deepStrictEqual(subnetRange("10.1.2.3/20"), { start: "10.1.0.2", end: "10.1.15.254" });
    });

    it("sends annotations, finalizers, labels and taints together", () => {
        for (const poolKey of ["core", "user"]) {
            const template = nodePoolTemplate(poolKey, { machineType: "b3-8", minNodes: 1, maxNodes: 2 }) as any;
            assert.deepStrictEqual(Object.keys(template.metadata).sort(), ["annotations", "finalizers", "labels"]);
            assert.ok(Array.isArray(template.spec.taints));
        }
    });
});

describe("OVH spawn hook (python3)", () => {
    let dir: string;
    const index = { aderrien7: "s3-keys-user-aderrien7", [FALLBACK_KEY]: "s3-keys-default" };
    const ref = (secret: string, key: string) => ({ valueFrom: { secretKeyRef: { name: secret, key } } });
    const keysOf = (secret: string) => ({ AWS_ACCESS_KEY_ID: ref(secret, "AWS_ACCESS_KEY_ID"), AWS_SECRET_ACCESS_KEY: ref(secret, "AWS_SECRET_ACCESS_KEY") });

    /**
     * Runs the runner and the hook as z2jh would (exec'd in one namespace), spawns `user`, and builds the
     * container's env list from the spawner's environment as KubeSpawner does (jupyterhub/kubespawner
     * kubespawner/objects.py `make_pod`: a dict value becomes a V1EnvVar named after its key, a string a
     * V1EnvVar with that value).
     */
    function spawn(user: string, indexPath: string): { status: number | null; env: Record<string, unknown>; podEnv: object[]; stderr: string } {
        const runner = path.join(dir, "00-runner.py");
        const hook = path.join(dir, "50-hook.py");
        fs.writeFileSync(runner, SPAWN_HOOK_RUNNER);
        fs.writeFileSync(hook, s3KeysSpawnHook("gfts", indexPath));
        const driver = `
import asyncio, json, logging, sys, types
c = types.SimpleNamespace(Spawner=types.SimpleNamespace())
namespace = {"c": c}
for source in sys.argv[1:3]:
    exec(compile(open(source).read(), source, "exec"), namespace)
shared = {"JUPYTER_ENV": "kept"}
spawner = types.SimpleNamespace(user=types.SimpleNamespace(name=sys.argv[3]), environment=shared, log=logging.getLogger("hub"))
asyncio.run(c.Spawner.pre_spawn_hook(spawner))
assert shared == {"JUPYTER_ENV": "kept"}, "the hook modified a shared environment dict"
pod_env = [dict(value, name=key) if isinstance(value, dict) else {"name": key, "value": value}
           for key, value in spawner.environment.items()]
print(json.dumps({"env": spawner.environment, "podEnv": pod_env}))
`;
        const result = spawnSync("python3", ["-c", driver, runner, hook, user], { encoding: "utf8" });
        const out = result.status === 0 ? JSON.parse(result.stdout) : { env: {}, podEnv: [] };
        return { status: result.status, env: out.env, podEnv: out.podEnv, stderr: result.stderr };
    }

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-ovh-hook-"));
        fs.writeFileSync(path.join(dir, KEY_INDEX_FILE_NAME), JSON.stringify(index));
    });

    it("points the member's variables at their own Secret, so the pod spec carries references, not keys", () => {
        const result = spawn("aderrien7", path.join(dir, KEY_INDEX_FILE_NAME));
        assert.strictEqual(result.status, 0, result.stderr);
        assert.deepStrictEqual(result.env, { JUPYTER_ENV: "kept", ...keysOf("s3-keys-user-aderrien7") });
        // The form kubespawner's tests/test_objects.py test_make_pod_with_env expects for a secretKeyRef.
        assert.deepStrictEqual(result.podEnv, [
            { name: "JUPYTER_ENV", value: "kept" },
            { name: "AWS_ACCESS_KEY_ID", valueFrom: { secretKeyRef: { name: "s3-keys-user-aderrien7", key: "AWS_ACCESS_KEY_ID" } } },
            { name: "AWS_SECRET_ACCESS_KEY", valueFrom: { secretKeyRef: { name: "s3-keys-user-aderrien7", key: "AWS_SECRET_ACCESS_KEY" } } },
        ]);
    });

    it("falls back to the default group's Secret for a user in no group", () => {
        const result = spawn("someone-else", path.join(dir, KEY_INDEX_FILE_NAME));
        assert.strictEqual(result.status, 0, result.stderr);
        assert.deepStrictEqual(result.env, { JUPYTER_ENV: "kept", ...keysOf("s3-keys-default") });
    });

    it("reads the index at each spawn, so a user added to a group gets their Secret without new hub code", () => {
        const file = path.join(dir, "growing.json");
        fs.writeFileSync(file, JSON.stringify({ [FALLBACK_KEY]: "s3-keys-default" }));
        assert.deepStrictEqual(spawn("newlogin", file).env, { JUPYTER_ENV: "kept", ...keysOf("s3-keys-default") });
        fs.writeFileSync(file, JSON.stringify({ [FALLBACK_KEY]: "s3-keys-default", newlogin: "s3-keys-user-newlogin" }));
        assert.deepStrictEqual(spawn("newlogin", file).env, { JUPYTER_ENV: "kept", ...keysOf("s3-keys-user-newlogin") });
    });

    it("starts a user in no group without keys when there is no default group", () => {
        const file = path.join(dir, "no-default.json");
        fs.writeFileSync(file, JSON.stringify({ aderrien7: index.aderrien7 }));
        const result = spawn("someone-else", file);
        assert.strictEqual(result.status, 0, result.stderr);
        assert.deepStrictEqual(result.env, { JUPYTER_ENV: "kept" });
    });

    it("fails the spawn clearly when the index is missing", () => {
        const result = spawn("aderrien7", path.join(dir, "missing.json"));
        assert.notStrictEqual(result.status, 0);
        assert.match(result.stderr, /RuntimeError: S3 key index .*missing\.json is missing, so aderrien7 would start without S3 access/);
    });

    it("compiles as the hub's extraConfig, with the path the hub mounts", async () => {
        useMocks({ stack: "prod", outputs: OVH_OUTPUTS });
        const { OvhCluster } = await import("../components/ovh/cluster");
        const config = fleet({ gfts: seedCluster() });
        const cluster = new OvhCluster("gfts", { cluster: config.clusters.gfts as OvhClusterSpec, hubs: { gfts: config.hubs.gfts } });
        const extraConfig: Record<string, string> = { "00-fleet-spawn-hooks": SPAWN_HOOK_RUNNER, ...cluster.hubAccess("gfts").hubExtraConfig };
        for (const [key, source] of Object.entries(extraConfig)) {
            const file = path.join(dir, `${key}.py`);
            fs.writeFileSync(file, source);
            execFileSync("python3", ["-c", "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], 'exec')", file]);
        }
        assert.match(extraConfig["50-ovh-s3-keys"], /path=json\.loads\("\\"\/etc\/jupyterhub\/platform\/s3-key-secrets\.json\\""\)/);
        await valueOf(cluster.kubeconfig);
    });
});
