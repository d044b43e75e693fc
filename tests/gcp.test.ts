import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { FleetConfig, FleetConfigError, GcpClusterSpec, RawFleetConfig, parseFleetConfig } from "../components/config";
import {
    BUCKET_READONLY_ROLE, BUCKET_READWRITE_ROLE, REQUESTOR_PAYS_ROLE, bucketGrants, workloadIdentityMember, workloadPool,
} from "../components/gcp/iam";
import { clusterNetwork, datapathProvider, gkeKubeconfig, nodePoolSettings, versionSettings } from "../components/gcp/gke";
import { requiredApis } from "../components/gcp/apis";
import { softDeletePolicy } from "../components/gcp/buckets";
import { hubDirectoryJob, hubDirectoryJobName } from "../components/gcp/homeStorage";
import { MockRecorder, RecordedResource, isSecret, unwrapSecret, useMocks, valueOf } from "./harness";
import type { SentRegistration } from "../scripts/mocks";

type GcpClusterModule = typeof import("../components/gcp/cluster");
type GcpCluster = InstanceType<GcpClusterModule["GcpCluster"]>;

const T = {
    cluster: "gcp:container/cluster:Cluster",
    nodePool: "gcp:container/nodePool:NodePool",
    account: "gcp:serviceaccount/account:Account",
    saMember: "gcp:serviceaccount/iAMMember:IAMMember",
    bucket: "gcp:storage/bucket:Bucket",
    bucketMember: "gcp:storage/bucketIAMMember:BucketIAMMember",
    projectMember: "gcp:projects/iAMMember:IAMMember",
    filestore: "gcp:filestore/instance:Instance",
    service: "gcp:projects/service:Service",
    job: "kubernetes:batch/v1:Job",
    storageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
    k8sProvider: "pulumi:providers:kubernetes",
};

function gcpCluster(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        provider: "gcp",
        project: "research-prod-1",
        region: "us-central1",
        zone: "us-central1-b",
        kubernetesVersion: "1.33",
        nodePools: {
            core: { machineType: "n2-highmem-4", minNodes: 1, maxNodes: 3, diskSizeGb: 100 },
            user: { machineType: "n2-highmem-16", minNodes: 0, maxNodes: 20 },
        },
        homeStorage: { type: "filestore", tier: "BASIC_HDD", capacityGb: 1024 },
        buckets: { scratch: { deleteAfterDays: 7 }, persistent: {} },
        ...overrides,
    };
}

function hub(cluster: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        cluster,
        auth: { type: "github", clientId: "Iv1.abc", allowedOrganizations: ["example-org"] },
        ...overrides,
    };
}

function parse(raw: RawFleetConfig): FleetConfig {
    const hubSecrets = Object.fromEntries(Object.keys((raw.hubs ?? {}) as object)
        .map(key => [key, { auth: { clientSecret: "placeholder" } }]));
    return parseFleetConfig({ hubSecrets, ...raw }, { stack: "test" });
}

/** Every problem parseFleetConfig reports for `raw` (none when it parses). */
function problemsOf(raw: RawFleetConfig): string[] {
    try {
        parse(raw);
        return [];
    } catch (error) {
        if (error instanceof FleetConfigError) return [...error.problems];
        throw error;
    }
}

function hubsOn(fleet: FleetConfig, clusterKey: string) {
    return Object.fromEntries(Object.entries(fleet.hubs).filter(([, h]) => h.cluster === clusterKey));
}

/** Resolves once every resource the platform created has been registered. */
async function registered(platform: GcpCluster): Promise<void> {
    const resources: pulumi.Resource[] = [
        platform, platform.gcpProvider, platform.cluster, platform.kubeProvider, platform.homeStorage, platform.bucketStore,
        platform.apis, platform.nodeIdentity, ...platform.nodeIdentity.grants, ...Object.values(platform.homeStorage.hubDirectoryJobs),
        ...Object.values(platform.nodePools), ...Object.values(platform.bucketStore.resources),
        ...(platform.homeStorage.instance ? [platform.homeStorage.instance] : []),
        ...(platform.homeStorage.storageClass ? [platform.homeStorage.storageClass] : []),
        ...Object.values(platform.hubIdentities).flatMap(identity => [identity, identity.account, ...identity.grants]),
    ];
    await Promise.all(resources.map(resource => valueOf(resource.urn)));
}

describe("gcp: pure rules", () => {
    it("builds the Workload Identity member of a hub's user-sa", () => {
        assert.strictEqual(workloadPool("research-prod-1"), "research-prod-1.svc.id.goog");
        assert.strictEqual(workloadIdentityMember("research-prod-1", "research"),
            "serviceAccount:research-prod-1.svc.id.goog[research/user-sa]");
    });

    it("grants object roles only: objectUser for admin buckets, objectViewer for read-only ones", () => {
        assert.deepStrictEqual(bucketGrants({
            bucketAdminAccess: ["scratch"], bucketReadonlyAccess: ["persistent"], requestorPays: false,
        }), [
            { bucketKey: "scratch", role: "roles/storage.objectUser" },
            { bucketKey: "persistent", role: "roles/storage.objectViewer" },
        ]);
    });

    it("turns soft delete off where objects expire on purpose, and keeps GCS's 7 days elsewhere", () => {
        assert.deepStrictEqual(softDeletePolicy({ deleteAfterDays: 7 }), { retentionDurationSeconds: 0 });
        assert.deepStrictEqual(softDeletePolicy({}), { retentionDurationSeconds: 604800 });
    });

    it("enables the APIs a cluster calls, Filestore's only where homes live there", () => {
        const base = ["cloudresourcemanager", "compute", "container", "iam", "iamcredentials", "logging", "monitoring", "serviceusage", "storage"];
        assert.deepStrictEqual(requiredApis({ homeStorage: { type: "dynamic", size: "10Gi" } }), base);
        assert.deepStrictEqual(requiredApis({ homeStorage: { type: "filestore", tier: "BASIC_HDD", capacityGb: 1024 } }), [...base, "file"].sort());
    });

    it("puts nodes in the default network's default subnet unless told otherwise", () => {
        assert.deepStrictEqual(clusterNetwork({ network: "default" }), { network: "default", subnetwork: "default" });
        assert.deepStrictEqual(clusterNetwork({ network: "hubs", subnetwork: "hubs-us-central1" }), { network: "hubs", subnetwork: "hubs-us-central1" });
    });

    it("creates a hub's directory with an idempotent mkdir on the share, as root, under a name Kubernetes takes", () => {
        const job = hubDirectoryJob("climate", "10.0.0.2") as any;
        assert.strictEqual(job.metadata.name, "home-dir-climate");
        assert.strictEqual(job.metadata.namespace, "kube-system");
        const pod = job.spec.template.spec;
        assert.strictEqual(pod.restartPolicy, "Never");
        assert.deepStrictEqual(pod.containers[0].command, ["mkdir", "-p", "/homes/climate"]);
        assert.deepStrictEqual(pod.containers[0].volumeMounts, [{ name: "homes", mountPath: "/homes" }]);
        assert.deepStrictEqual(pod.volumes, [{ name: "homes", nfs: { server: "10.0.0.2", path: "/homes" } }]);
        assert.strictEqual(pod.containers[0].securityContext.runAsUser, 0);
        assert.strictEqual(job.spec.ttlSecondsAfterFinished, undefined);

        // Job names become a pod label value: at most 63 characters, and still distinct per hub.
        const long = "h".repeat(63);
        const other = `${"h".repeat(62)}i`;
        assert.ok(hubDirectoryJobName(long).length <= 63);
        assert.match(hubDirectoryJobName(long), /^home-dir-h+-[0-9a-f]{8}$/);
        assert.notStrictEqual(hubDirectoryJobName(long), hubDirectoryJobName(other));
    });

    it("taints user pools only, and labels every pool with its purpose", () => {
        assert.deepStrictEqual(nodePoolSettings("core", { machineType: "n2", minNodes: 1, maxNodes: 2 }), {
            labels: { "hub.jupyter.org/node-purpose": "core", "jupyterhub-fleet/node-pool": "core" }, taints: [],
            autoscaling: { minNodeCount: 1, maxNodeCount: 2 }, initialNodeCount: 1,
        });
        assert.deepStrictEqual(nodePoolSettings("highmem", { machineType: "n2", minNodes: 0, maxNodes: 2 }), {
            labels: { "hub.jupyter.org/node-purpose": "user", "jupyterhub-fleet/node-pool": "highmem" },
            taints: [{ key: "hub.jupyter.org_dedicated", value: "user", effect: "NO_SCHEDULE" }],
            autoscaling: { minNodeCount: 0, maxNodeCount: 2 }, initialNodeCount: 0,
        });
        assert.deepStrictEqual(nodePoolSettings("big", { machineType: "n2", minNodes: 1, maxNodes: 2, purpose: "core" }).taints, []);
    });

    it("opts a pinned version out of release channels", () => {
        assert.deepStrictEqual(versionSettings({ kubernetesVersion: "1.33" }),
            { minMasterVersion: "1.33", releaseChannel: { channel: "UNSPECIFIED" } });
        assert.deepStrictEqual(versionSettings({ releaseChannel: "STABLE" }), { releaseChannel: { channel: "STABLE" } });
    });

    it("enforces network policy with Dataplane V2", () => {
        assert.strictEqual(datapathProvider(true), "ADVANCED_DATAPATH");
        assert.strictEqual(datapathProvider(false), "LEGACY_DATAPATH");
    });

    it("writes a kubeconfig that authenticates through gke-gcloud-auth-plugin", () => {
        const text = gkeKubeconfig({ contextName: "gke_p_r_c", endpoint: "34.1.2.3", caCertificate: "Q0E=" });
        const config = parseYaml(text);
        assert.strictEqual(config["current-context"], "gke_p_r_c");
        assert.deepStrictEqual(config.clusters[0].cluster, { server: "https://34.1.2.3", "certificate-authority-data": "Q0E=" });
        const exec = config.users[0].user.exec;
        assert.strictEqual(exec.command, "gke-gcloud-auth-plugin");
        assert.strictEqual(exec.provideClusterInfo, true);
        assert.strictEqual(exec.apiVersion, "client.authentication.k8s.io/v1beta1");
        assert.strictEqual(text, gkeKubeconfig({ contextName: "gke_p_r_c", endpoint: "34.1.2.3", caCertificate: "Q0E=" }));
    });
});

describe("gcp: config validation", () => {
    const awsCluster = {
        provider: "aws", region: "us-west-2", kubernetesVersion: "1.33",
        nodePools: { core: { machineType: "r5.xlarge", minNodes: 1, maxNodes: 3 }, user: { machineType: "r5.4xlarge", minNodes: 0, maxNodes: 20 } },
        buckets: { scratch: {} },
    };

    it("accepts the fleet the platform tests build", () => {
        assert.deepStrictEqual(problemsOf({
            clusters: { gke1: gcpCluster() },
            hubs: { research: hub("gke1", { cloudAccess: { requestorPays: true } }) },
        }), []);
    });

    it("refuses requestorPays on an aws cluster", () => {
        const problems = problemsOf({
            clusters: { uw2: awsCluster },
            hubs: { research: hub("uw2", { cloudAccess: { bucketAdminAccess: ["scratch"], requestorPays: true } }) },
        });
        assert.ok(problems.some(p => p.startsWith("hubs.research.cloudAccess.requestorPays: ") && p.includes("gcp clusters only")), problems.join("\n"));
    });

    it("refuses Filestore home storage on a non-GCP cluster", () => {
        for (const [key, cluster] of [
            ["uw2", { ...awsCluster, homeStorage: { type: "filestore" } }],
            ["onprem", { provider: "kubernetes", homeStorage: { type: "filestore" } }],
        ] as const) {
            const problems = problemsOf({ clusters: { [key]: cluster } });
            assert.ok(problems.some(p => p.startsWith(`clusters.${key}.homeStorage.type: `) && p.includes("filestore")), problems.join("\n"));
        }
    });

    it("refuses extraIamPolicy on a gcp cluster", () => {
        const problems = problemsOf({
            clusters: { gke1: gcpCluster() },
            hubs: {
                research: hub("gke1", {
                    cloudAccess: { extraIamPolicy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] } },
                }),
            },
        });
        assert.ok(problems.some(p => p.startsWith("hubs.research.cloudAccess.extraIamPolicy: ") && p.includes("aws clusters only")), problems.join("\n"));
    });

    it("refuses a hub whose service-account id would exceed 30 characters", () => {
        const fits = "h".repeat(30 - "gke1-".length);
        assert.deepStrictEqual(problemsOf({ clusters: { gke1: gcpCluster() }, hubs: { [fits]: hub("gke1", { cloudAccess: {} }) } }), []);
        const tooLong = `${fits}x`;
        const problems = problemsOf({ clusters: { gke1: gcpCluster() }, hubs: { [tooLong]: hub("gke1", { cloudAccess: {} }) } });
        assert.ok(problems.some(p => p.startsWith(`hubs.${tooLong}: `) && p.includes("31 characters") && p.includes("6–30")), problems.join("\n"));
    });

    it("defaults the network to default and asks for a subnetwork with any other network", () => {
        const cluster = parse({ clusters: { gke1: gcpCluster() } }).clusters.gke1 as GcpClusterSpec;
        assert.strictEqual(cluster.network, "default");
        assert.strictEqual(cluster.subnetwork, undefined);
        assert.deepStrictEqual(problemsOf({ clusters: { gke1: gcpCluster({ network: "hubs", subnetwork: "hubs-central" }) } }), []);
        const problems = problemsOf({ clusters: { gke1: gcpCluster({ network: "hubs" }) } });
        assert.ok(problems.some(p => p.startsWith("clusters.gke1.subnetwork: ") && p.includes("hubs") && p.includes("us-central1")), problems.join("\n"));
        const badName = problemsOf({ clusters: { gke1: gcpCluster({ network: "Hubs_Net" }) } });
        assert.ok(badName.some(p => p.startsWith("clusters.gke1.network: ")), badName.join("\n"));
    });

    it("refuses a hub whose service account would be the nodes' own", () => {
        const problems = problemsOf({ clusters: { gke1: gcpCluster() }, hubs: { nodes: hub("gke1", { cloudAccess: {} }) } });
        assert.ok(problems.some(p => p.startsWith("hubs.nodes: ") && p.includes("gke1-nodes") && p.includes("nodes run as")), problems.join("\n"));
        assert.deepStrictEqual(problemsOf({ clusters: { gke1: gcpCluster() }, hubs: { nodes: hub("gke1") } }), []);
    });

    it("refuses a Filestore capacity under the tier's minimum", () => {
        const problems = problemsOf({ clusters: { gke1: gcpCluster({ homeStorage: { type: "filestore", tier: "BASIC_SSD", capacityGb: 2048 } }) } });
        assert.ok(problems.some(p => p.startsWith("clusters.gke1.homeStorage.capacityGb: ") && p.includes("2560")), problems.join("\n"));
    });
});

describe("gcp: docs/gcp.md stack examples", () => {
    const markdown = fs.readFileSync(path.join(__dirname, "..", "docs", "gcp.md"), "utf8");
    const stackBlocks = [...markdown.matchAll(/```yaml\n(config:\n[\s\S]*?)```/g)].map(m => m[1]);

    it("has a prod and a staging example", () => {
        assert.strictEqual(stackBlocks.length, 2);
    });

    for (const [i, stack] of ["prod", "staging"].entries()) {
        it(`the ${stack} example passes the config checks`, () => {
            const config = parseYaml(stackBlocks[i]).config as Record<string, unknown>;
            const raw = Object.fromEntries(Object.entries(config).map(([key, value]) => [key.replace(/^jupyterhub-fleet:/, ""), value]));
            const fleet = parse(raw);
            assert.ok(Object.values(fleet.clusters).every(c => c.provider === "gcp"));
            if (stack === "prod") {
                assert.strictEqual(fleet.hubs.research.cloudAccess?.requestorPays, true);
                assert.deepStrictEqual(Object.keys(fleet.hubs.research.bucketEnv), ["SCRATCH_BUCKET", "PERSISTENT_BUCKET"]);
            }
        });
    }
});

describe("gcp: GcpCluster under mocks", () => {
    let recorder: MockRecorder;
    let gke1: GcpCluster;
    let gke2: GcpCluster;
    /** Emails the mock returned per Account resource name: deliberately not derivable from the account id. */
    const returnedEmails = new Map<string, string>();

    const one = (type: string, name: string): RecordedResource => recorder.get(type, name);
    // Options such as `protect` never reach the mocks: the recorder reads them off what the SDK sent.
    const registration = (type: string, name: string): SentRegistration => {
        const found = recorder.sent.get(`${type}::${name}`);
        assert.ok(found, `no registration of ${type} ${name}`);
        return found;
    };
    /** Names of the resources the engine makes `name` wait for, sorted. */
    const dependencyNames = (type: string, name: string): string[] =>
        [...new Set(registration(type, name).dependencies.map(urn => urn.split("::").pop()!))].sort();

    before(async () => {
        recorder = useMocks({
            outputs: {
                "gcp:serviceaccount/account:Account": (name, inputs) => {
                    const email = `${inputs.accountId}@returned-${returnedEmails.size + 1}.iam.gserviceaccount.com`;
                    returnedEmails.set(name, email);
                    return { email, name: `projects/research-prod-1/serviceAccounts/${email}` };
                },
            },
        });
        const { GcpCluster } = await import("../components/gcp/cluster");
        const fleet = parse({
            clusters: {
                gke1: gcpCluster(),
                gke2: gcpCluster({
                    project: "teaching-2", kubernetesVersion: undefined, releaseChannel: "STABLE", networkPolicy: false,
                    homeStorage: { type: "dynamic", size: "20Gi" }, buckets: {}, deletionProtection: false,
                }),
            },
            hubs: {
                research: hub("gke1", {
                    cloudAccess: { bucketAdminAccess: ["scratch"], bucketReadonlyAccess: ["persistent"], requestorPays: true },
                    bucketEnv: { SCRATCH_BUCKET: "scratch" },
                }),
                staging: hub("gke1", { cloudAccess: { bucketAdminAccess: ["scratch"] } }),
                classroom: hub("gke2"),
            },
        });
        gke1 = new GcpCluster("gke1", { cluster: fleet.clusters.gke1 as GcpClusterSpec, hubs: hubsOn(fleet, "gke1") });
        gke2 = new GcpCluster("gke2", { cluster: fleet.clusters.gke2 as GcpClusterSpec, hubs: hubsOn(fleet, "gke2") });
        await registered(gke1);
        await registered(gke2);
    });

    it("exposes the platform facts", async () => {
        assert.strictEqual(gke1.clusterKey, "gke1");
        assert.strictEqual(gke1.providerName, "gcp");
        assert.strictEqual(gke1.isLocal, false);
        assert.strictEqual(gke1.project, "research-prod-1");
        assert.strictEqual(gke1.region, "us-central1");
        assert.strictEqual(await valueOf(gke1.clusterName), "gke1");
        assert.deepStrictEqual(Object.keys(gke1.buckets), ["scratch", "persistent"]);
        assert.strictEqual(await valueOf(gke1.buckets.scratch.url), "gs://gke1-scratch");
    });

    it("creates every GCP resource through the cluster's own provider, under its components", () => {
        const gcpResources = recorder.resources.filter(r => r.type.startsWith("gcp:") && r.name.startsWith("gke1-"));
        assert.ok(gcpResources.length >= 12);
        for (const resource of gcpResources) {
            assert.match(resource.provider ?? "", /::gke1-gcp::/, `${resource.type} ${resource.name} uses ${resource.provider}`);
        }
        assert.deepStrictEqual(one("pulumi:providers:gcp", "gke1-gcp").inputs.project, "research-prod-1");
        assert.match(registration(T.bucket, "gke1-buckets-scratch").parent, /jupyterhub:gcp:Buckets::gke1-buckets$/);
        assert.match(registration(T.filestore, "gke1-home-filestore").parent, /jupyterhub:gcp:HomeStorage::gke1-home$/);
        assert.match(registration(T.account, "gke1-hub-research-sa").parent, /jupyterhub:gcp:HubIdentity::gke1-hub-research$/);
        assert.match(registration(T.cluster, "gke1-cluster").parent, /jupyterhub:gcp:Cluster::gke1$/);
    });

    it("builds a regional GKE cluster with zonal nodes, Workload Identity and Dataplane V2", () => {
        const cluster = one(T.cluster, "gke1-cluster").inputs;
        assert.strictEqual(cluster.name, "gke1");
        assert.strictEqual(cluster.location, "us-central1");
        assert.deepStrictEqual(cluster.nodeLocations, ["us-central1-b"]);
        assert.strictEqual(cluster.removeDefaultNodePool, true);
        assert.strictEqual(cluster.initialNodeCount, 1);
        assert.strictEqual(cluster.minMasterVersion, "1.33");
        assert.deepStrictEqual(cluster.releaseChannel, { channel: "UNSPECIFIED" });
        assert.deepStrictEqual(cluster.workloadIdentityConfig, { workloadPool: "research-prod-1.svc.id.goog" });
        assert.strictEqual(cluster.datapathProvider, "ADVANCED_DATAPATH");
        assert.strictEqual(cluster.networkPolicy, undefined);

        const other = one(T.cluster, "gke2-cluster").inputs;
        assert.deepStrictEqual(other.releaseChannel, { channel: "STABLE" });
        assert.strictEqual(other.minMasterVersion, undefined);
        assert.strictEqual(other.datapathProvider, "LEGACY_DATAPATH");
    });

    it("protects the cluster in Pulumi and in the provider unless deletionProtection is false", () => {
        assert.deepStrictEqual([registration(T.cluster, "gke1-cluster").protect, one(T.cluster, "gke1-cluster").inputs.deletionProtection],
            [true, true]);
        assert.deepStrictEqual([registration(T.cluster, "gke2-cluster").protect, one(T.cluster, "gke2-cluster").inputs.deletionProtection],
            [false, false]);
        assert.strictEqual(registration(T.storageClass, "gke2-home-storage-class").protect, true, "homes stay protected");
    });

    it("makes node pools with purpose labels, the user taint, GKE_METADATA and autoscaling to zero", () => {
        const user = one(T.nodePool, "gke1-pool-user").inputs;
        assert.strictEqual(user.name, "user");
        assert.strictEqual(user.cluster, "gke1");
        assert.strictEqual(user.location, "us-central1");
        assert.deepStrictEqual(user.autoscaling, { minNodeCount: 0, maxNodeCount: 20 });
        assert.strictEqual(user.nodeConfig.machineType, "n2-highmem-16");
        assert.deepStrictEqual(user.nodeConfig.labels, { "hub.jupyter.org/node-purpose": "user", "jupyterhub-fleet/node-pool": "user" });
        assert.deepStrictEqual(user.nodeConfig.taints, [{ key: "hub.jupyter.org_dedicated", value: "user", effect: "NO_SCHEDULE" }]);
        assert.deepStrictEqual(user.nodeConfig.workloadMetadataConfig, { mode: "GKE_METADATA" });

        const core = one(T.nodePool, "gke1-pool-core").inputs;
        assert.deepStrictEqual(core.autoscaling, { minNodeCount: 1, maxNodeCount: 3 });
        assert.strictEqual(core.nodeConfig.diskSizeGb, 100);
        assert.deepStrictEqual(core.nodeConfig.labels, { "hub.jupyter.org/node-purpose": "core", "jupyterhub-fleet/node-pool": "core" });
        assert.deepStrictEqual(core.nodeConfig.taints, []);
        assert.deepStrictEqual(core.nodeConfig.workloadMetadataConfig, { mode: "GKE_METADATA" });

        for (const pool of ["gke1-pool-user", "gke1-pool-core"]) {
            assert.deepStrictEqual(registration(T.nodePool, pool).ignoreChanges, ["initialNodeCount"]);
            assert.strictEqual(registration(T.nodePool, pool).deleteBeforeReplace, true, pool);
        }
    });

    it("runs nodes as the cluster's own service account with GKE's minimal node roles, granted before nodes start", () => {
        const account = one(T.account, "gke1-nodes-sa").inputs;
        assert.strictEqual(account.accountId, "gke1-nodes");
        const email = returnedEmails.get("gke1-nodes-sa");
        const grants = recorder.ofType(T.projectMember).filter(r => r.name.startsWith("gke1-nodes-"))
            .map(r => ({ name: r.name, project: r.inputs.project, role: r.inputs.role, member: r.inputs.member }))
            .sort((a, b) => a.name.localeCompare(b.name));
        assert.deepStrictEqual(grants, [
            { name: "gke1-nodes-artifact-reader", project: "research-prod-1", role: "roles/artifactregistry.reader", member: `serviceAccount:${email}` },
            { name: "gke1-nodes-default-node", project: "research-prod-1", role: "roles/container.defaultNodeServiceAccount", member: `serviceAccount:${email}` },
        ]);
        for (const [type, name] of [[T.nodePool, "gke1-pool-user"], [T.nodePool, "gke1-pool-core"], [T.cluster, "gke1-cluster"]]) {
            const nodeConfig = one(type, name).inputs.nodeConfig;
            assert.strictEqual(nodeConfig.serviceAccount, email, name);
            assert.deepStrictEqual(nodeConfig.oauthScopes, ["https://www.googleapis.com/auth/cloud-platform"], name);
            assert.deepStrictEqual(dependencyNames(type, name).filter(n => n.startsWith("gke1-nodes-")),
                ["gke1-nodes-artifact-reader", "gke1-nodes-default-node", "gke1-nodes-sa"], name);
        }
        // An existing cluster keeps the default pool's config it was created with: a change there replaces the cluster.
        assert.deepStrictEqual(registration(T.cluster, "gke1-cluster").ignoreChanges, ["nodeConfig"]);
    });

    it("enables the project's APIs, never disabling them, and makes each resource wait for the ones it calls", () => {
        const services = recorder.ofType(T.service).filter(r => r.name.startsWith("gke1-"));
        assert.deepStrictEqual(services.map(r => r.inputs.service).sort(), [
            "cloudresourcemanager", "compute", "container", "file", "iam", "iamcredentials", "logging", "monitoring", "serviceusage", "storage",
        ].map(api => `${api}.googleapis.com`));
        for (const service of services) {
            assert.strictEqual(service.inputs.disableOnDestroy, false, service.name);
            assert.strictEqual(service.inputs.project, "research-prod-1", service.name);
        }
        assert.ok(!recorder.ofType(T.service).some(r => r.name === "gke2-apis-file"), "gke2 has no Filestore");
        // Enabling goes through Service Usage and reads back through Resource Manager.
        assert.deepStrictEqual(dependencyNames(T.service, "gke1-apis-container"), ["gke1-apis-cloudresourcemanager", "gke1-apis-serviceusage"]);

        const apisOf = (type: string, name: string) => dependencyNames(type, name).filter(n => n.startsWith("gke1-apis-")).map(n => n.slice("gke1-apis-".length));
        assert.deepStrictEqual(apisOf(T.cluster, "gke1-cluster"), ["compute", "container", "iam", "iamcredentials", "logging", "monitoring"]);
        assert.deepStrictEqual(apisOf(T.filestore, "gke1-home-filestore"), ["compute", "file"]);
        assert.deepStrictEqual(apisOf(T.bucket, "gke1-buckets-scratch"), ["storage"]);
        assert.deepStrictEqual(apisOf(T.account, "gke1-nodes-sa"), ["cloudresourcemanager", "iam"]);
        assert.deepStrictEqual(apisOf(T.projectMember, "gke1-nodes-default-node"), ["cloudresourcemanager", "iam"]);
        assert.deepStrictEqual(apisOf(T.account, "gke1-hub-research-sa"), ["cloudresourcemanager", "iam", "iamcredentials"]);
        assert.deepStrictEqual(apisOf(T.projectMember, "gke1-hub-research-requestor-pays"), ["cloudresourcemanager", "iam", "iamcredentials"]);
    });

    it("hands out a secret kubeconfig using gke-gcloud-auth-plugin, and a provider keyed on the cluster id", async () => {
        assert.strictEqual(await isSecret(gke1.kubeconfig), true);
        const config = parseYaml(await valueOf(gke1.kubeconfig));
        assert.strictEqual(config.clusters[0].cluster.server, "https://34.1.2.3");
        assert.strictEqual(config.clusters[0].cluster["certificate-authority-data"], "LS0tLS1CRUdJTi1DRVJU");
        assert.strictEqual(config["current-context"], "gke_research-prod-1_us-central1_gke1");
        assert.deepStrictEqual(config.users[0].user.exec.command, "gke-gcloud-auth-plugin");
        assert.strictEqual(config.users[0].user.exec.provideClusterInfo, true);

        const provider = one(T.k8sProvider, "gke1-k8s").inputs;
        assert.strictEqual(unwrapSecret(provider.kubeconfig).secret, true);
        assert.strictEqual(provider.clusterIdentifier, await valueOf(gke1.cluster.id));
        assert.strictEqual(provider.clusterIdentifier, "gke1-cluster-id");
    });

    it("makes private, uniformly controlled, protected buckets with a Delete rule for scratch", () => {
        const scratch = one(T.bucket, "gke1-buckets-scratch").inputs;
        assert.strictEqual(scratch.name, "gke1-scratch");
        assert.strictEqual(scratch.location, "us-central1");
        assert.strictEqual(scratch.uniformBucketLevelAccess, true);
        assert.strictEqual(scratch.publicAccessPrevention, "enforced");
        assert.strictEqual(scratch.forceDestroy, false);
        assert.deepStrictEqual(scratch.lifecycleRules, [{ action: { type: "Delete" }, condition: { age: 7 } }]);
        assert.deepStrictEqual(scratch.softDeletePolicy, { retentionDurationSeconds: 0 });

        const persistent = one(T.bucket, "gke1-buckets-persistent").inputs;
        assert.strictEqual(persistent.name, "gke1-persistent");
        assert.deepStrictEqual(persistent.lifecycleRules, []);
        assert.deepStrictEqual(persistent.softDeletePolicy, { retentionDurationSeconds: 604800 });
        assert.strictEqual(persistent.forceDestroy, false);

        for (const name of ["gke1-buckets-scratch", "gke1-buckets-persistent"]) {
            assert.strictEqual(registration(T.bucket, name).protect, true, name);
        }
    });

    it("puts Filestore homes in the cluster's zone and VPC, protected, with one directory per hub", async () => {
        const instance = one(T.filestore, "gke1-home-filestore").inputs;
        assert.strictEqual(instance.name, "gke1-homes");
        assert.strictEqual(instance.tier, "BASIC_HDD");
        assert.strictEqual(instance.location, "us-central1-b");
        assert.deepStrictEqual(instance.fileShares, { name: "homes", capacityGb: 1024 });
        assert.deepStrictEqual(instance.networks, [{ network: "default", modes: ["MODE_IPV4"] }]);
        assert.strictEqual(one(T.cluster, "gke1-cluster").inputs.network, "default");
        assert.strictEqual(one(T.cluster, "gke1-cluster").inputs.subnetwork, "default");
        // Filestore refuses API deletion protection on BASIC tiers; Pulumi's protect still applies.
        assert.strictEqual(instance.deletionProtectionEnabled, undefined);
        assert.strictEqual(registration(T.filestore, "gke1-home-filestore").protect, true);

        const volume = gke1.homeVolume("research");
        assert.strictEqual(volume.kind, "nfs");
        if (volume.kind !== "nfs") return;
        assert.strictEqual(await valueOf(volume.server), "10.0.0.2");
        assert.strictEqual(volume.path, "/homes/research");
        assert.strictEqual(volume.hubDirectory, undefined);
        const staging = gke1.homeVolume("staging");
        assert.strictEqual(staging.kind === "nfs" && staging.path, "/homes/staging");
        assert.throws(() => gke1.homeVolume("classroom"), /classroom does not run on cluster gke1/);
    });

    it("creates each hub's Filestore directory before its volume is used, with a Job per hub on the cluster", async () => {
        const jobs = recorder.ofType(T.job).map(r => r.name).sort();
        assert.deepStrictEqual(jobs, ["gke1-home-dir-research", "gke1-home-dir-staging"]);
        const job = one(T.job, "gke1-home-dir-research");
        assert.match(job.provider ?? "", /::gke1-k8s::/);
        assert.deepStrictEqual(job.inputs.spec.template.spec.containers[0].command, ["mkdir", "-p", "/homes/research"]);
        assert.deepStrictEqual(job.inputs.spec.template.spec.volumes, [{ name: "homes", nfs: { server: "10.0.0.2", path: "/homes" } }]);
        const volume = gke1.homeVolume("research");
        const waitedFor = await Promise.all((volume.kind === "nfs" ? volume.dependsOn ?? [] : []).map(r => valueOf(r.urn)));
        assert.deepStrictEqual(waitedFor.map(urn => urn.split("::").pop()).sort(), ["gke1-home-dir-research", "gke1-home-filestore"]);
        assert.strictEqual(recorder.ofType(T.job).filter(r => r.name.startsWith("gke2-")).length, 0);
    });

    it("gives dynamic homes a protected, retaining, expandable PD storage class", async () => {
        const storageClass = one(T.storageClass, "gke2-home-storage-class");
        assert.strictEqual(storageClass.inputs.provisioner, "pd.csi.storage.gke.io");
        assert.strictEqual(storageClass.inputs.reclaimPolicy, "Retain");
        assert.strictEqual(storageClass.inputs.allowVolumeExpansion, true);
        assert.strictEqual(storageClass.inputs.volumeBindingMode, "WaitForFirstConsumer");
        assert.match(storageClass.provider ?? "", /::gke2-k8s::/);
        assert.strictEqual(registration(T.storageClass, "gke2-home-storage-class").protect, true);
        assert.strictEqual(recorder.ofType(T.filestore).filter(r => r.name.startsWith("gke2-")).length, 0);

        const volume = gke2.homeVolume("classroom");
        assert.strictEqual(volume.kind, "dynamic");
        if (volume.kind !== "dynamic") return;
        assert.strictEqual(volume.capacity, "20Gi");
        assert.strictEqual(await valueOf(volume.storageClass!), "user-homes-retain");
    });

    it("lets each hub's user-sa act as its own Google service account", () => {
        for (const hubKey of ["research", "staging"]) {
            const account = one(T.account, `gke1-hub-${hubKey}-sa`).inputs;
            assert.strictEqual(account.accountId, `gke1-${hubKey}`);
            const member = one(T.saMember, `gke1-hub-${hubKey}-workload-identity`).inputs;
            assert.strictEqual(member.role, "roles/iam.workloadIdentityUser");
            assert.strictEqual(member.member, `serviceAccount:research-prod-1.svc.id.goog[${hubKey}/user-sa]`);
            assert.strictEqual(member.serviceAccountId,
                `projects/research-prod-1/serviceAccounts/${returnedEmails.get(`gke1-hub-${hubKey}-sa`)}`);
        }
        assert.strictEqual(recorder.ofType(T.account).filter(r => r.name.startsWith("gke2-hub-")).length, 0);
    });

    it("grants each hub its buckets with one additive member per hub and bucket", () => {
        const memberOf = (hubKey: string) => `serviceAccount:${returnedEmails.get(`gke1-hub-${hubKey}-sa`)}`;
        const grants = recorder.ofType(T.bucketMember)
            .map(r => ({ name: r.name, bucket: r.inputs.bucket, role: r.inputs.role, member: r.inputs.member }))
            .sort((a, b) => a.name.localeCompare(b.name));
        assert.deepStrictEqual(grants, [
            { name: "gke1-hub-research-bucket-persistent", bucket: "gke1-persistent", role: BUCKET_READONLY_ROLE, member: memberOf("research") },
            { name: "gke1-hub-research-bucket-scratch", bucket: "gke1-scratch", role: BUCKET_READWRITE_ROLE, member: memberOf("research") },
            { name: "gke1-hub-staging-bucket-scratch", bucket: "gke1-scratch", role: BUCKET_READWRITE_ROLE, member: memberOf("staging") },
        ]);
    });

    it("grants requester pays on the project only to the hub that asks", () => {
        const grants = recorder.ofType(T.projectMember).filter(r => r.name.includes("-hub-"));
        assert.deepStrictEqual(grants.map(r => ({ name: r.name, ...r.inputs })), [{
            name: "gke1-hub-research-requestor-pays",
            project: "research-prod-1",
            role: REQUESTOR_PAYS_ROLE,
            member: `serviceAccount:${returnedEmails.get("gke1-hub-research-sa")}`,
        }]);
    });

    it("annotates user-sa with the email the created account returned", async () => {
        const access = gke1.hubAccess("research");
        const returned = returnedEmails.get("gke1-hub-research-sa");
        assert.match(returned ?? "", /@returned-\d\.iam\.gserviceaccount\.com$/);
        assert.deepStrictEqual(Object.keys(access.serviceAccountAnnotations), ["iam.gke.io/gcp-service-account"]);
        assert.strictEqual(await valueOf(access.serviceAccountAnnotations["iam.gke.io/gcp-service-account"]), returned);
        assert.strictEqual(await valueOf(access.identity!), returned);
        assert.strictEqual(await valueOf(gke1.hubAccess("staging").serviceAccountAnnotations["iam.gke.io/gcp-service-account"]),
            returnedEmails.get("gke1-hub-staging-sa"));
    });

    it("keeps the metadata server reachable for Workload Identity and waits for the grants", async () => {
        const access = gke1.hubAccess("research");
        assert.strictEqual(access.cloudMetadata, "allow");
        const env = Object.fromEntries(await Promise.all(Object.entries(access.env).map(async ([k, v]) => [k, await valueOf(v)])));
        assert.deepStrictEqual(env, {
            SCRATCH_BUCKET: "gs://gke1-scratch/$(JUPYTERHUB_USER)",
            PANGEO_SCRATCH: "gs://gke1-scratch/$(JUPYTERHUB_USER)",
        });
        const waitedFor = (await Promise.all(access.dependsOn.map(r => valueOf(r.urn)))).map(urn => urn.split("::").pop()).sort();
        assert.deepStrictEqual(waitedFor, [
            "gke1-hub-research-bucket-persistent", "gke1-hub-research-bucket-scratch",
            "gke1-hub-research-requestor-pays", "gke1-hub-research-workload-identity",
        ]);
    });

    it("gives a hub without cloudAccess no identity and no metadata access", () => {
        const access = gke2.hubAccess("classroom");
        assert.deepStrictEqual(access.serviceAccountAnnotations, {});
        assert.strictEqual(access.identity, undefined);
        assert.strictEqual(access.cloudMetadata, "block");
        assert.deepStrictEqual(access.env, {});
        assert.deepStrictEqual(access.dependsOn, []);
        assert.throws(() => gke2.hubAccess("research"), /research does not run on cluster gke2/);
    });
});
