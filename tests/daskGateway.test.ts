/**
 * dask-gateway for a hub (issue 13): the release's values and network policies (pure), the Hub that installs it
 * under mocks (what both releases send, and what the provider's Check would store of the shared token), and
 * the config's bad inputs.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type * as k8sTypes from "@pulumi/kubernetes";
import Ajv from "ajv";
import { parseFleetConfig } from "../components/config";
import {
    daskGatewaySecretValues, daskGatewayUserEnv, daskGatewayValues, DaskGatewayValuesInput, daskNetworkPolicies, USER_SECRET_INDEX_ANNOTATION,
} from "../components/daskGatewayValues";
import { SPAWN_HOOK_RUNNER } from "../components/hooks/spawnHooks";
import type { Platform } from "../components/platform";
import { poolPlacement } from "../components/poolPlacement";
import { checkRelease, plaintextSecrets, stripSecrets } from "../scripts/engineModel/helmRelease";
import { assertChartAccepts } from "./chartSchema";
import { expectExactly, fleetWith, problemsOf } from "./configProblems";
import { awsCluster, awsFleet } from "./fixtures";
import { DEFAULT_OUTPUTS, MockRecorder, unwrapSecret, useMocks, valueOf } from "./harness";
import daskChartSchema from "./charts/dask-gateway/2026.3.0/values.schema.json";
import daskChartDefaults from "./charts/dask-gateway/2026.3.0/values.json";
import { deepMerge } from "../components/util";

const ROLE_ARN = "arn:aws:iam::123456789012:role/uw2-research";
const POOLS = {
    core: { machineType: "r5.xlarge", minNodes: 1, maxNodes: 3 },
    user: { machineType: "r5.4xlarge", minNodes: 0, maxNodes: 20 },
    "dask-workers": { machineType: "r5.2xlarge", minNodes: 0, maxNodes: 40, purpose: "dask", spot: true, instanceTypes: ["r5a.2xlarge"] },
};
const DASK_TOLERATION = { key: "k8s.dask.org/dedicated", operator: "Equal", value: "worker", effect: "NoSchedule" };
const USER_TOLERATIONS = [
    { key: "hub.jupyter.org/dedicated", operator: "Equal", value: "user", effect: "NoSchedule" },
    { key: "hub.jupyter.org_dedicated", operator: "Equal", value: "user", effect: "NoSchedule" },
];

const validateDaskValues = new Ajv({ strict: false, allErrors: true }).compile(daskChartSchema);

/** Fails unless the dask-gateway chart would accept `values` merged over its defaults, as helm checks at install. */
function assertDaskChartAccepts(what: string, values: object): void {
    assert.ok(validateDaskValues(deepMerge(daskChartDefaults, values)),
        `dask-gateway 2026.3.0 schema rejects ${what}: ${JSON.stringify(validateDaskValues.errors, null, 1)}`);
}

/** A per-user Secret reference, as the hub's spawn hook and the gateway's handler write them. */
interface SecretRef { readonly valueFrom: { readonly secretKeyRef: { readonly name: string; readonly key: string } } }
interface EnvVar extends SecretRef { readonly name: string }
/** What one user gets: the overrides of the gateway's handler, and the environment the hub's spawn hook leaves. */
interface UserEnvs {
    readonly dask: { scheduler_extra_container_config?: { env: EnvVar[] }; worker_extra_container_config?: { env: EnvVar[] } };
    readonly server: Record<string, SecretRef>;
}

/**
 * Runs, in one python3, the gateway's `fleet-user-secrets` config (in the gateway pod's environment) and the
 * hub's spawn hook (reading `index` from a file), and asks both about each of `users`. dask_gateway_server is not
 * installed here: a stand-in `Options` keeps the handler as dask_gateway_server/options.py `Options` does, and the
 * driver calls it with the user like `get_configuration(options, user)` (backends/base.py `process_cluster_options`).
 */
function userEnvs(gatewayConfig: string, gatewayEnv: Record<string, string>, hubHook: string, hubIndexPath: string, index: string,
    users: readonly string[]): Record<string, UserEnvs> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-dask-secrets-"));
    try {
        const indexPath = path.join(dir, "index.json");
        fs.writeFileSync(indexPath, index);
        const hook = hubHook.split(hubIndexPath).join(indexPath);
        assert.notStrictEqual(hook, hubHook, `the hub's hook reads ${hubIndexPath}`);
        const driver = `
import asyncio, inspect, json, logging, sys, types
options = types.ModuleType("dask_gateway_server.options")
class Options:
    def __init__(self, *fields, handler=None):
        self.fields = fields
        self.handler = handler
options.Options = Options
sys.modules["dask_gateway_server"] = types.ModuleType("dask_gateway_server")
sys.modules["dask_gateway_server.options"] = options
c = types.SimpleNamespace(Backend=types.SimpleNamespace(), Spawner=types.SimpleNamespace())
exec(sys.argv[1], {"c": c})
cluster_options = c.Backend.cluster_options
assert not cluster_options.fields, "users get no options to set"
# options.py wraps one-argument handlers; the user reaches only a handler of two.
assert len(inspect.signature(cluster_options.handler).parameters) == 2
hub = {"c": c}
exec(sys.argv[2], hub)
exec(sys.argv[3], hub)
envs = {}
for user in sys.argv[4:]:
    spawner = types.SimpleNamespace(user=types.SimpleNamespace(name=user), environment={}, log=logging.getLogger("hub"))
    asyncio.run(c.Spawner.pre_spawn_hook(spawner))
    envs[user] = {"dask": cluster_options.handler({}, types.SimpleNamespace(name=user, groups=set())), "server": spawner.environment}
print(json.dumps(envs))
`;
        const result = spawnSync("python3", ["-c", driver, gatewayConfig, SPAWN_HOOK_RUNNER, hook, ...users],
            { encoding: "utf8", env: { ...process.env, ...gatewayEnv }, timeout: 60_000 });
        assert.strictEqual(result.status, 0, result.stderr);
        return JSON.parse(result.stdout);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function researchFleet(dask: Record<string, unknown>): any {
    const raw = awsFleet() as any;
    raw.clusters.uw2 = awsCluster({ nodePools: POOLS });
    raw.hubs = { research: {
        ...raw.hubs.staging, domain: "research.hub.example.org", image: { name: "quay.io/pangeo/pangeo-notebook", tag: "2025.01.10" }, daskGateway: dask,
    } };
    raw.hubSecrets = { research: raw.hubSecrets.staging };
    return raw;
}

describe("dask-gateway values", () => {
    it("runs schedulers and workers as user-sa on the worker pool, tolerating its taint, with the hub's limits", () => {
        const values = daskGatewayValues({
            namespace: "research", image: "quay.io/pangeo/pangeo-notebook:2025.01.10",
            placement: poolPlacement("dask-workers", POOLS["dask-workers"] as any), maxCores: 64, maxMemory: 256 * 1024 ** 3, idleTimeoutMinutes: 30,
        }) as any;
        const podConfig = {
            serviceAccountName: "user-sa",
            nodeSelector: { "jupyterhub-fleet/node-pool": "dask-workers" },
            tolerations: [DASK_TOLERATION],
        };
        assert.deepStrictEqual(values.gateway.backend, {
            image: { name: "quay.io/pangeo/pangeo-notebook", tag: "2025.01.10" },
            scheduler: { extraPodConfig: podConfig }, worker: { extraPodConfig: podConfig },
        });
        assert.deepStrictEqual(values.gateway.auth, {
            type: "jupyterhub",
            jupyterhub: { apiUrl: "http://hub.research:8081/hub/api", jupyterhubServiceName: "dask-gateway" },
        });
        assert.strictEqual(values.gateway.prefix, "/services/dask-gateway");
        assert.strictEqual(values.gateway.extraConfig["fleet-limits"], "# Generated by jupyterhub-fleet: limits of every dask cluster (hubs.<hub>.daskGateway).\n" +
            "c.ClusterConfig.idle_timeout = 1800\nc.ClusterConfig.cluster_max_cores = 64\nc.ClusterConfig.cluster_max_memory = 274877906944\n");
        // Never a public load balancer: users reach it in the cluster and through the hub's proxy.
        assert.deepStrictEqual(values.traefik, { service: { type: "ClusterIP" } });
    });

    it("gives each user's schedulers and workers their own Secret through the platform's index, and restarts the gateway when it changes", () => {
        const input: DaskGatewayValuesInput = {
            namespace: "gfts", idleTimeoutMinutes: 30,
            userSecrets: { indexSecret: "fleet-platform-files", indexFile: "s3-key-secrets.json", fallbackKey: "*", variables: ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] },
        };
        const values = daskGatewayValues(input) as any;
        // The chart mounts no extra volumes into the gateway pod, but takes variables (templates/gateway/deployment.yaml).
        assert.deepStrictEqual(values.gateway.env, [{
            name: "FLEET_USER_SECRET_INDEX", valueFrom: { secretKeyRef: { name: "fleet-platform-files", key: "s3-key-secrets.json" } },
        }]);
        assert.deepStrictEqual(Object.keys(values.gateway.extraConfig), ["fleet-limits", "fleet-user-secrets"]);
        // Schedulers and workers keep no extra container config of their own: the handler's would replace it.
        assert.deepStrictEqual(Object.keys(values.gateway.backend.worker), ["extraPodConfig"]);
        const secretValues = daskGatewaySecretValues("token", "digest") as any;
        assert.deepStrictEqual(secretValues.gateway.annotations, { [USER_SECRET_INDEX_ANNOTATION]: "digest" });
        assertDaskChartAccepts("values with per-user Secrets", deepMerge(values, secretValues));

        const plain = daskGatewayValues({ namespace: "research", idleTimeoutMinutes: 30 }) as any;
        assert.deepStrictEqual([plain.gateway.env, Object.keys(plain.gateway.extraConfig)], [undefined, ["fleet-limits"]]);
        assert.deepStrictEqual(daskGatewaySecretValues("token"), { gateway: { auth: { jupyterhub: { apiToken: "token" } } } });
        assertDaskChartAccepts("values without per-user Secrets", deepMerge(plain, daskGatewaySecretValues("token")));
    });

    it("refuses a platform naming an index it does not deliver", async () => {
        const { userSecretIndex } = await import("../components/hub");
        const env = { indexFile: "s3-key-secrets.json", fallbackKey: "*", variables: ["AWS_ACCESS_KEY_ID"] };
        assert.throws(() => userSecretIndex(env, []), {
            message: "the platform names s3-key-secrets.json as its per-user Secret index but delivers no such hub secret file (it delivers: none)",
        });
        const file = { fileName: "s3-key-secrets.json", content: pulumi.secret("{}") };
        assert.strictEqual(userSecretIndex(env, [file]), file);
    });

    it("runs them on the user pools, tolerating the user taint, when no worker pool is named; anywhere on an existing cluster", async () => {
        const { daskPlacement } = await import("../components/hub");
        const hub = parseFleetConfig(researchFleet({}), { stack: "prod", secretKeys: ["hubSecrets"] }).hubs.research;
        assert.deepStrictEqual(daskPlacement(hub, POOLS as any, true), { nodeSelector: { "hub.jupyter.org/node-purpose": "user" }, tolerations: USER_TOLERATIONS });
        assert.strictEqual(daskPlacement(hub, {}, false), undefined);
    });

    it("lets users and the hub's proxy reach the gateway's proxy, its pods reach each other, and workers the internet only", () => {
        const policies = daskNetworkPolicies("block", [{ to: [{ ipBlock: { cidr: "10.1.0.0/16" } }], ports: [{ port: 443 }] }]) as any;
        assert.deepStrictEqual(Object.keys(policies).sort(), ["clusters", "internal", "users"]);
        assert.deepStrictEqual(policies.users.ingress, [{
            from: [{ podSelector: { matchLabels: { component: "singleuser-server" } } }, { podSelector: { matchLabels: { component: "proxy" } } }],
            ports: [{ port: 8000, protocol: "TCP" }],
        }]);
        assert.deepStrictEqual(policies.internal.ingress, [{ from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "dask-gateway" } } }] }]);
        const egress = policies.clusters.egress;
        assert.deepStrictEqual(egress[2], { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.169.254/32"] } }] });
        assert.deepStrictEqual(egress[3], { to: [{ ipBlock: { cidr: "10.1.0.0/16" } }], ports: [{ port: 443 }] });
        // GKE Workload Identity serves tokens at the metadata address: workers reach it there, as user servers do.
        const gke = daskNetworkPolicies("allow", []) as any;
        assert.deepStrictEqual(gke.clusters.egress[2].to[0].ipBlock.except, ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]);
    });
});

describe("Hub with dask-gateway", () => {
    let recorder: MockRecorder;
    const token = DEFAULT_OUTPUTS["random:index/randomBytes:RandomBytes"]("research-dask-gateway-token", { length: 32 }).hex as string;
    const release = (name: string) => recorder.get("kubernetes:helm.sh/v3:Release", name).wireInputs;

    before(async () => {
        recorder = useMocks({ stack: "prod" });
        const k8s: typeof k8sTypes = await import("@pulumi/kubernetes");
        const { Hub } = await import("../components/hub");
        const fleet = parseFleetConfig(researchFleet({ workerPool: "dask-workers", maxCores: 64, maxMemory: "256G" }),
            { stack: "prod", secretKeys: ["hubSecrets"] });
        const platform: Platform = {
            clusterKey: "uw2", providerName: "aws", kubeProvider: new k8s.Provider("fake-k8s", { kubeconfig: "{}" }), kubeconfig: pulumi.secret("{}"),
            isLocal: false, dedicatedNodePools: true, buckets: {},
            homeVolume: () => ({ kind: "dynamic", capacity: "10Gi" }),
            hubAccess: () => ({
                serviceAccountAnnotations: { "eks.amazonaws.com/role-arn": pulumi.output(ROLE_ARN) }, env: {}, cloudMetadata: "block",
                hubSecretFiles: [], hubExtraConfig: {}, userVolumes: [], dependsOn: [], reachableBuckets: [],
            }),
        };
        const hub = new Hub("research", {
            hubKey: "research", hub: fleet.hubs.research, secrets: fleet.hubSecrets.research, platform, nodePools: fleet.clusters.uw2.provider === "aws" ? fleet.clusters.uw2.nodePools : {},
        });
        await valueOf(hub.release.status);
    });

    it("installs the pinned dask-gateway chart in the hub's namespace, its workers as user-sa (the hub's IRSA identity) on the worker pool", () => {
        const dask = release("research-dask-gateway-release");
        assert.deepStrictEqual([dask.name, dask.namespace, dask.chart, dask.version, dask.repositoryOpts.repo],
            ["dask-gateway", "research", "dask-gateway", "2026.3.0", "https://helm.dask.org"]);
        const backend = (stripSecrets(dask.values) as any).gateway.backend;
        for (const role of ["scheduler", "worker"]) {
            assert.deepStrictEqual(backend[role].extraPodConfig, {
                serviceAccountName: "user-sa", nodeSelector: { "jupyterhub-fleet/node-pool": "dask-workers" }, tolerations: [DASK_TOLERATION],
            }, role);
        }
        // The worker image defaults to the hub's, so workers have the notebook's libraries.
        assert.deepStrictEqual(backend.image, { name: "quay.io/pangeo/pangeo-notebook", tag: "2025.01.10" });
        const sa = recorder.get("kubernetes:core/v1:ServiceAccount", "research-user-sa").inputs;
        assert.deepStrictEqual(sa.metadata.annotations, { "eks.amazonaws.com/role-arn": ROLE_ARN });
    });

    it("hands both releases the service token as a secret leaf, which the provider's Check keeps secret", () => {
        const hubValues = stripSecrets(release("research-release").values) as any;
        const daskValues = stripSecrets(release("research-dask-gateway-release").values) as any;
        assert.strictEqual(hubValues.hub.services["dask-gateway"].apiToken, token);
        assert.strictEqual(daskValues.gateway.auth.jupyterhub.apiToken, token);
        for (const name of ["research-release", "research-dask-gateway-release"]) {
            assert.deepStrictEqual(plaintextSecrets(checkRelease(release(name)), [token]), [], name);
        }
    });

    it("gives users the gateway's addresses and scope, and lets their servers reach it, in values the chart accepts", () => {
        const values = stripSecrets(release("research-release").values) as any;
        for (const [name, value] of Object.entries(daskGatewayUserEnv("research"))) {
            assert.strictEqual(values.singleuser.extraEnv[name], value, name);
        }
        assert.strictEqual(values.singleuser.extraEnv.DASK_GATEWAY__ADDRESS, "http://traefik-dask-gateway.research/services/dask-gateway");
        assert.strictEqual(values.hub.services["dask-gateway"].url, "http://traefik-dask-gateway.research");
        assert.deepStrictEqual(values.hub.loadRoles.server.scopes, ["users:activity!user", "access:servers!server", "access:services!service=dask-gateway"]);
        assert.deepStrictEqual(values.singleuser.networkPolicy.egress, [{
            to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "dask-gateway", "app.kubernetes.io/component": "traefik" } } }],
            ports: [{ port: 8000, protocol: "TCP" }],
        }]);
        assertChartAccepts("the hub's values with dask-gateway", values);
    });

    it("puts the network policies in the hub's namespace before the release", () => {
        const policies = recorder.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy");
        assert.deepStrictEqual(policies.map(p => [p.name, p.inputs.metadata.name, p.inputs.metadata.namespace]).sort(), [
            ["research-dask-gateway-clusters", "dask-gateway-clusters", "research"],
            ["research-dask-gateway-internal", "dask-gateway-internal", "research"],
            ["research-dask-gateway-users", "dask-gateway-users", "research"],
        ]);
    });
});

describe("dask-gateway on GCP and OVH, through the whole program", () => {
    let recorder: MockRecorder;
    const daskValues = (hub: string) => stripSecrets(recorder.get("kubernetes:helm.sh/v3:Release", `${hub}-dask-gateway-release`).wireInputs.values) as any;
    /** A hub namespace's Secrets as the wire sent them: name -> key -> value. */
    const namespaceSecrets = (namespace: string): Record<string, Record<string, string>> => Object.fromEntries(
        recorder.ofType("kubernetes:core/v1:Secret").filter(r => r.inputs.metadata.namespace === namespace).map(r => [r.inputs.metadata.name,
            Object.fromEntries(Object.entries(unwrapSecret(r.wireInputs.stringData).value as Record<string, unknown>)
                .map(([key, value]) => [key, unwrapSecret(value).value as string]))]));
    const policy = (hub: string, name: string) => recorder.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", `${hub}-dask-gateway-${name}`).inputs;

    before(async () => {
        const daskPool = { machineType: "n2-highmem-16", minNodes: 0, maxNodes: 10, purpose: "dask" };
        const github = (clientId: string) => ({ type: "github", clientId, allowedOrganizations: ["example-org"] });
        const ovhCluster = (serviceName: string, vlanId: number, bucketKeys: string[], accessGroups: Record<string, unknown>) => ({
            provider: "ovh", serviceName, region: "GRA11", s3: { region: "gra" },
            kubernetesVersion: "1.35", network: { vlanId, cidr: "10.0.0.0/16" },
            nodePools: { core: { machineType: "b3-8", minNodes: 1, maxNodes: 2 }, user: { machineType: "r3-32", minNodes: 0, maxNodes: 10 } },
            homeStorage: { type: "dynamic", size: "10Gi" },
            buckets: Object.fromEntries(bucketKeys.map(key => [key, {}])),
            accessGroups,
        });
        recorder = useMocks({
            stack: "prod", secretKeys: ["hubSecrets"], config: {
                clusters: {
                    gke: {
                        provider: "gcp", project: "example-project", region: "us-central1", zone: "us-central1-b", kubernetesVersion: "1.33",
                        nodePools: { core: { machineType: "n2-standard-2", minNodes: 1, maxNodes: 1 },
                            user: { machineType: "n2-standard-4", minNodes: 0, maxNodes: 3 }, dask: daskPool },
                        homeStorage: { type: "filestore", tier: "BASIC_HDD", capacityGb: 1024 },
                        buckets: { scratch: {} },
                    },
                    ovhc: ovhCluster("5f3c0e2b9a7d4c1e8b6a2f0d9c8e7b6a", 12, ["gfts-data", "gfts-vliz"], {
                        default: { read: ["gfts-data"] },
                        vliz: { members: ["davidcasalsvliz"], write: ["gfts-vliz"] },
                    }),
                    // Users in no group get no keys here: there is no default group.
                    ovhn: ovhCluster("0123456789abcdef0123456789abcdef", 13, ["vliz-data"], { vliz: { members: ["davidcasalsvliz"], write: ["vliz-data"] } }),
                },
                hubs: {
                    climate: { cluster: "gke", auth: github("Iv1.gke"), cloudAccess: { bucketAdminAccess: ["scratch"] }, daskGateway: { workerPool: "dask" } },
                    gfts: { cluster: "ovhc", auth: github("Iv1.ovh"), daskGateway: {}, bucketEnv: { DATA_BUCKET: "gfts-data" } },
                    vliz: { cluster: "ovhn", auth: github("Iv1.ovn"), daskGateway: {} },
                },
                hubSecrets: {
                    climate: { auth: { clientSecret: "s1" } }, gfts: { auth: { clientSecret: "s2" } }, vliz: { auth: { clientSecret: "s3" } },
                },
            },
        });
        const { loadFleetConfig } = await import("../components/config");
        const { deployFleet } = await import("../components/fleet");
        const fleet = deployFleet(loadFleetConfig());
        await Promise.all(Object.values(fleet.hubs).map(hub => valueOf(hub.release.status)));
        await valueOf(pulumi.output(fleet.outputs.hubs.climate.serviceAccountAnnotations));
    });

    it("runs GKE workers as user-sa, the hub's Workload Identity, on the dask pool, and lets them reach the metadata server it lives behind", async () => {
        const sa = recorder.get("kubernetes:core/v1:ServiceAccount", "climate-user-sa").inputs;
        assert.ok(sa.metadata.annotations["iam.gke.io/gcp-service-account"], "user-sa carries the hub's Google service account");
        assert.deepStrictEqual(daskValues("climate").gateway.backend.worker.extraPodConfig, {
            serviceAccountName: "user-sa", nodeSelector: { "jupyterhub-fleet/node-pool": "dask" }, tolerations: [DASK_TOLERATION],
        });
        assert.ok(!JSON.stringify(policy("climate", "clusters").spec).includes("169.254.169.254"));
    });

    it("gives each user's OVH dask cluster exactly the key Secret their server gets: their group's, the default group's, or none", () => {
        const users = ["davidcasalsvliz", "someone-else"];
        const expected: Record<string, Record<string, string | undefined>> = {
            gfts: { davidcasalsvliz: "s3-keys-user-davidcasalsvliz", "someone-else": "s3-keys-default" },
            vliz: { davidcasalsvliz: "s3-keys-user-davidcasalsvliz", "someone-else": undefined },
        };
        for (const hub of ["gfts", "vliz"]) {
            const secrets = namespaceSecrets(hub);
            const gateway = daskValues(hub).gateway;
            // What the kubelet gives the gateway pod: each variable of `gateway.env` from the Secret it names.
            const gatewayEnv = Object.fromEntries((gateway.env as EnvVar[]).map(({ name, valueFrom: { secretKeyRef: ref } }) => {
                assert.ok(secrets[ref.name]?.[ref.key] !== undefined, `${hub}: the gateway reads ${ref.name}/${ref.key}, which the namespace lacks`);
                return [name, secrets[ref.name][ref.key]];
            }));
            const hubValues = stripSecrets(recorder.get("kubernetes:helm.sh/v3:Release", `${hub}-release`).wireInputs.values) as any;
            const envs = userEnvs(gateway.extraConfig["fleet-user-secrets"], gatewayEnv, hubValues.hub.extraConfig["50-ovh-s3-keys"],
                "/etc/jupyterhub/platform/s3-key-secrets.json", secrets["fleet-platform-files"]["s3-key-secrets.json"], users);
            for (const user of users) {
                const { dask, server } = envs[user];
                const own = expected[hub][user];
                assert.deepStrictEqual(Object.values(server).map(v => v.valueFrom.secretKeyRef.name), own ? [own, own] : [], `${hub} ${user} server`);
                const serverEnv = Object.entries(server).map(([name, value]) => ({ name, ...value }));
                // Scheduler and worker get what the server gets, as references to Secrets the namespace holds.
                assert.deepStrictEqual(dask, own ? {
                    scheduler_extra_container_config: { env: serverEnv }, worker_extra_container_config: { env: serverEnv },
                } : {}, `${hub} ${user} dask`);
                for (const { valueFrom: { secretKeyRef: ref } } of serverEnv) {
                    assert.ok(secrets[ref.name]?.[ref.key] !== undefined, `${hub}: ${user} would reference ${ref.name}/${ref.key}, which the namespace lacks`);
                }
            }
        }
    });

    it("keeps OVH keys out of the gateway's values, restarts it with a changed index, and sends values the chart accepts", () => {
        const keys = recorder.ofType("ovh:CloudProject/s3Credential:S3Credential").flatMap(c => [`AK-${c.name}`, `SECRET-${c.name}`]);
        assert.ok(keys.length > 0);
        for (const hub of ["gfts", "vliz"]) {
            const wire = recorder.get("kubernetes:helm.sh/v3:Release", `${hub}-dask-gateway-release`).wireInputs;
            const sent = JSON.stringify(wire.values);
            for (const key of keys) assert.ok(!sent.includes(key), `${key} in the dask-gateway values of ${hub}`);
            const index = namespaceSecrets(hub)["fleet-platform-files"]["s3-key-secrets.json"];
            const digest = crypto.createHash("sha256").update(index).digest("hex");
            assert.strictEqual(daskValues(hub).gateway.annotations[USER_SECRET_INDEX_ANNOTATION], digest);
            // Derived from a secret, the digest goes secret on the wire and stays so in the provider's state.
            assert.deepStrictEqual(plaintextSecrets(checkRelease(wire), [digest]), [], hub);
            assertDaskChartAccepts(`the ${hub} gateway's values`, daskValues(hub));
        }
        // GKE users have no Secrets of their own: no index, no handler.
        assert.deepStrictEqual([daskValues("climate").gateway.env, Object.keys(daskValues("climate").gateway.extraConfig)], [undefined, ["fleet-limits"]]);
        assertDaskChartAccepts("the climate gateway's values", daskValues("climate"));
    });

    it("gives OVH schedulers and workers the S3 endpoint settings users get, not the per-user bucket variables", () => {
        const userEnv = (stripSecrets(recorder.get("kubernetes:helm.sh/v3:Release", "gfts-release").wireInputs.values) as any).singleuser.extraEnv;
        const workerEnv: Record<string, string> = daskValues("gfts").gateway.backend.environment;
        // Users' DATA_BUCKET ends in $(JUPYTERHUB_USER), which the gateway's pods do not have.
        assert.match(userEnv.DATA_BUCKET, /\/\$\(JUPYTERHUB_USER\)$/);
        assert.deepStrictEqual(Object.keys(workerEnv).sort(), Object.keys(userEnv).filter(v => v.startsWith("AWS_")).sort());
        for (const [variable, value] of Object.entries(workerEnv)) assert.strictEqual(value, userEnv[variable], variable);
        assert.ok(workerEnv.AWS_ENDPOINT_URL_S3.startsWith("https://s3.gra."), workerEnv.AWS_ENDPOINT_URL_S3);
        assertDaskChartAccepts("the gfts gateway's values", daskValues("gfts"));
    });

    it("runs OVH workers as user-sa on the user pools, with the metadata server closed", () => {
        assert.deepStrictEqual(daskValues("gfts").gateway.backend.worker.extraPodConfig, {
            serviceAccountName: "user-sa", nodeSelector: { "hub.jupyter.org/node-purpose": "user" }, tolerations: USER_TOLERATIONS,
        });
        assert.deepStrictEqual(policy("gfts", "clusters").spec.egress[2].to[0].ipBlock.except.slice(-1), ["169.254.169.254/32"]);
        assert.strictEqual(policy("gfts", "users").metadata.namespace, "gfts");
    });
});

describe("dask-gateway: bad input", () => {
    const at = (dask: Record<string, unknown>, mutate: (fleet: any) => void = () => undefined) => problemsOf(fleetWith(f => {
        Object.assign(f, researchFleet(dask));
        mutate(f);
    }));

    it("accepts a worker pool of purpose dask or user, and none", () => {
        assert.deepStrictEqual(at({ workerPool: "dask-workers" }), []);
        assert.deepStrictEqual(at({ workerPool: "user" }), []);
        assert.deepStrictEqual(at({}), []);
    });

    it("refuses a worker pool that is missing or a core pool, limits that are not positive, and a public hub", () => {
        expectExactly(at({ workerPool: "dask" }), "hubs.research.daskGateway.workerPool: no node pool \"dask\" on cluster uw2 (use one of: user, dask-workers)");
        expectExactly(at({ workerPool: "core" }),
            "hubs.research.daskGateway.workerPool: pool core of cluster uw2 is a core pool, and this needs a dask or user pool (use one of: user, dask-workers)");
        expectExactly(at({ maxCores: 0, idleTimeoutMinutes: -5 }),
            "hubs.research.daskGateway.maxCores: number 0 is too small (it must be above 0)",
            "hubs.research.daskGateway.idleTimeoutMinutes: number -5 is too small (it must be above 0)");
        expectExactly(at({ maxMemory: "0G" }), "hubs.research.daskGateway.maxMemory: is not a positive amount (write it like 256G)");
        expectExactly(at({}, f => {
            f.hubs.research.auth = { type: "ephemeral" };
            f.hubs.research.storage = "none";
            delete f.hubs.research.cloudAccess;
            f.hubs.research.bucketEnv = {};
            delete f.hubSecrets;
            delete f.hubDefaults.values;
        }), "hubs.research.daskGateway: would let every visitor of a public (ephemeral) hub start dask clusters on the cluster's nodes " +
            "(remove it; run dask-gateway on a hub with logins)");
    });

    it("refuses raw values that would undo what daskGateway sets, every variable it sets included", () => {
        for (const name of Object.keys(daskGatewayUserEnv("research"))) {
            expectExactly(at({}, f => { f.hubs.research.values = { singleuser: { extraEnv: { [name]: "x" } } }; }),
                `hubs.research.values.singleuser.extraEnv.${name}: would override what the hub's daskGateway sets (set daskGateway instead ` +
                "and remove this value: raw values are merged last and would silently undo it)");
        }
        expectExactly(at({}, f => {
            f.hubs.research.values = {
                hub: { services: { "dask-gateway": { url: "http://elsewhere" } } },
                singleuser: { extraEnv: { DASK_GATEWAY__ADDRESS: "http://elsewhere" } },
            };
        }),
        "hubs.research.values.hub.services.dask-gateway: would override what the hub's daskGateway sets (set daskGateway instead and remove this value: raw values are merged last and would silently undo it)",
        "hubs.research.values.singleuser.extraEnv.DASK_GATEWAY__ADDRESS: would override what the hub's daskGateway sets (set daskGateway instead and remove this value: raw values are merged last and would silently undo it)");
    });
});
