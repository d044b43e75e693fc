/**
 * Home storage operators can size, cap, snapshot and share (issue 14): the config rules, the chart values of a
 * hub's NFS server, the disks and snapshot policies on each cloud as registered, and what users mount.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import { parseAllDocuments } from "yaml";
import type { Fleet } from "../components/fleet";
import { PlanJson, PlanJsonResource, diffPlans } from "../scripts/planReport";
import { deepMerge } from "../components/util";
import { expectExactly, expectProblem, fleetWith, problemsOf } from "./configProblems";
import { awsCluster, githubHub } from "./fixtures";
import { assertChartAccepts } from "./chartSchema";
import { MockRecorder, RecordedResource, settleRegistrations, settledValueOf, useMocks } from "./harness";
import { stripSecrets } from "../scripts/engineModel/helmRelease";
import homeNfsSchema from "./charts/jupyterhub-home-nfs/1.2.0/values.schema.json";
import homeNfsDefaults from "./charts/jupyterhub-home-nfs/1.2.0/values.json";

const NFS_SERVER = { type: "nfs-server", sizeGb: 500, perUserQuotaGb: 20, snapshots: { keepDays: 14 } };

const gcpCluster = (homeStorage: unknown) => ({
    provider: "gcp", project: "example-research", region: "us-central1", zone: "us-central1-c", kubernetesVersion: "1.33",
    nodePools: { core: { machineType: "n2-highmem-4", minNodes: 1, maxNodes: 3 }, user: { machineType: "n2-highmem-16", minNodes: 0, maxNodes: 10 } },
    homeStorage, buckets: {},
});
const ovhCluster = (homeStorage: unknown) => ({
    provider: "ovh", serviceName: "5f3c0e2b9a7d4c1e8b6a2f0d9c8e7b6a", region: "GRA11", s3: { region: "gra" },
    kubernetesVersion: "1.35", network: { vlanId: 12, cidr: "10.0.0.0/16" },
    nodePools: { core: { machineType: "b3-8", minNodes: 1, maxNodes: 2 }, user: { machineType: "r3-32", minNodes: 0, maxNodes: 10 } },
    homeStorage, buckets: {},
});
/** A hub without cloud access, so it fits any cluster. */
const hubOn = (cluster: string, extra: Record<string, unknown> = {}) =>
    ({ ...githubHub(cluster), cloudAccess: undefined, bucketEnv: {}, domain: undefined, ...extra });

describe("homes: config", () => {
    it("takes nfs-server on AWS, GCP and OVH, with quotas, snapshots and the hub fields", () => {
        expectExactly(problemsOf(fleetWith(f => {
            f.clusters.uw2.homeStorage = NFS_SERVER;
            f.clusters.uw2.nodePools.core.zones = ["us-west-2a"];
            f.clusters.exh = gcpCluster(NFS_SERVER);
            f.clusters.gra = ovhCluster({ type: "nfs-server", sizeGb: 200, perUserQuotaGb: 10 });
            f.hubs.staging.homeQuotaGb = 30;
            f.hubs.staging.sharedDirectory = { mountPath: "/srv/shared" };
            f.hubs.staging.adminHomeAccess = true;
            f.hubs.oceans = hubOn("exh", { sharedDirectory: { mountPath: "/srv/shared", writableBy: "everyone" } });
            f.hubs.gfts = hubOn("gra", { adminHomeAccess: true });
            f.hubSecrets.oceans = f.hubSecrets.gfts = { auth: { clientSecret: "s" } };
        })));
    });

    it("refuses what cannot work, each with its key path and a fix", () => {
        const problems = problemsOf(fleetWith(f => {
            f.clusters.uw2.homeStorage = { type: "nfs-server", sizeGb: 50, perUserQuotaGb: 60 };
            f.clusters.gra = ovhCluster({ type: "nfs-server", sizeGb: 100, snapshots: { keepDays: 7 } });
            f.clusters.exr = gcpCluster({ type: "dynamic" });
            f.hubs.staging.homeQuotaGb = 80;
            f.hubs.staging.sharedDirectory = { mountPath: "/home/jovyan/shared" };
            f.hubs.gfts = hubOn("gra", { homeQuotaGb: 5, sharedDirectory: { mountPath: "/home/jovyan" } });
            f.hubs.climate = hubOn("exr", { homeQuotaGb: 5, sharedDirectory: { mountPath: "/srv/shared" }, adminHomeAccess: true });
            f.hubSecrets.gfts = f.hubSecrets.climate = { auth: { clientSecret: "s" } };
        }));
        expectExactly(problems,
            "clusters.uw2.homeStorage.perUserQuotaGb: 60 GB per user is more than the whole volume (sizeGb 50) (lower perUserQuotaGb to at most 50, or raise sizeGb)",
            "clusters.gra.homeStorage.snapshots: ovh clusters have no snapshot schedule for volumes (remove it and schedule CSI VolumeSnapshots as docs/homes.md (\"nfs-server on OVH and existing clusters (CSI snapshots)\") shows)",
            "hubs.staging.homeQuotaGb: 80 GB per user is more than the hub's volume (sizeGb 50) (lower it to at most 50)",
            "hubs.staging.sharedDirectory.mountPath: /home/jovyan/shared is inside the user's home (/home/jovyan), where it would hide or shadow their files (mount it outside the home, e.g. /srv/shared (users can link it: ln -s /srv/shared ~/shared))",
            "hubs.gfts.sharedDirectory.mountPath: /home/jovyan is inside the user's home (/home/jovyan), where it would hide or shadow their files (mount it outside the home, e.g. /srv/shared (users can link it: ln -s /srv/shared ~/shared))",
            "hubs.climate.homeQuotaGb: clusters.exr.homeStorage is dynamic, which has no per-user quotas (remove it, or use homeStorage type nfs-server (docs/homes.md))",
            "hubs.climate.sharedDirectory: clusters.exr.homeStorage is dynamic (one volume per user), which has no directory all users can mount (remove it, or use a shared home storage type (efs, filestore, nfs, nfs-server))",
            "hubs.climate.adminHomeAccess: clusters.exr.homeStorage is dynamic: each home is its own volume, which one server cannot mount all of (remove it, or use a shared home storage type (efs, filestore, nfs, nfs-server))");
    });

    it("takes nfs-server on an existing cluster from a named storage class, with quotas and the hub fields", () => {
        expectExactly(problemsOf(fleetWith(f => {
            f.clusters.onprem = { provider: "kubernetes", context: "onprem",
                homeStorage: { type: "nfs-server", sizeGb: 100, perUserQuotaGb: 10, storageClass: "homes-xfs" } };
            f.hubs.lab = hubOn("onprem", { homeQuotaGb: 5, sharedDirectory: { mountPath: "/srv/shared" }, adminHomeAccess: true });
            f.hubSecrets.lab = { auth: { clientSecret: "s" } };
        })));
    });

    it("refuses nfs-server on an existing cluster without a class, with snapshots or on OpenShift, a class elsewhere, and quotas where the storage has none", () => {
        const problems = problemsOf(fleetWith(f => {
            f.clusters.onprem = { provider: "kubernetes", context: "onprem", homeStorage: { type: "nfs-server", sizeGb: 100, snapshots: { keepDays: 7 } } };
            f.clusters.okd = { provider: "kubernetes", context: "okd", openshift: true, homeStorage: { type: "nfs-server", sizeGb: 100, storageClass: "ceph-rbd" } };
            f.clusters.exh = gcpCluster({ type: "nfs-server", sizeGb: 100, storageClass: "premium-rwo" });
            f.hubs.staging.homeQuotaGb = 10;
        }));
        expectExactly(problems,
            "clusters.onprem.homeStorage.snapshots: kubernetes clusters have no snapshot schedule for volumes (remove it and schedule CSI VolumeSnapshots as " +
            "docs/homes.md (\"nfs-server on OVH and existing clusters (CSI snapshots)\") shows)",
            "clusters.onprem.homeStorage.storageClass: nfs-server homes on an existing cluster need a named storage class for each hub's volume (name one whose " +
            "reclaimPolicy is Retain (the deployment checks it; with quotas it must make XFS volumes mounted with pquota: docs/homes.md))",
            "clusters.okd.homeStorage.type: the nfs-server chart runs privileged containers (nfs-ganesha, xfs_quota), which OpenShift admits only under the " +
            "privileged SCC (use homeStorage: { type: nfs, … } with the site's NFS server)",
            "clusters.exh.homeStorage.storageClass: the fleet makes each hub's volume itself on gcp (a balanced persistent disk) (remove it (storageClass " +
            "names the class of existing clusters' volumes))",
            "hubs.staging.homeQuotaGb: clusters.uw2.homeStorage is efs, which has no per-user quotas (remove it, or use homeStorage type nfs-server (docs/homes.md))");
    });

    it("refuses a hub key too long for its NFS server's helm release", () => {
        const key = "h".repeat(45);
        expectProblem(problemsOf(fleetWith(f => {
            f.clusters.uw2.homeStorage = { type: "nfs-server", sizeGb: 100 };
            f.hubs[key] = hubOn("uw2");
            f.hubSecrets[key] = { auth: { clientSecret: "s" } };
        })), new RegExp(`^hubs\\.${key}: the hub's NFS server release "${key}-home-nfs" would exceed helm's 53 characters \\(shorten the hub key to at most 44 characters\\)`));
    });
});

describe("homes: plan --base sees a hub's home storage change", () => {
    const namespace = (hub: string, annotations?: Record<string, string>) => ({
        urn: `urn:${hub}`, type: "kubernetes:core/v1:Namespace", name: `${hub}-namespace`, custom: true, protect: false, retainOnDelete: false,
        inputs: { metadata: { name: hub, ...(annotations ? { annotations } : {}) } },
    });
    const kind = (value: string, sizeGb?: number) => ({
        "jupyterhub-fleet/home-storage": value, ...(sizeGb === undefined ? {} : { "jupyterhub-fleet/home-size-gb": String(sizeGb) }),
    });

    it("alerts on another kind of storage and on a smaller volume, and on nothing else", async () => {
        const { homeStorageAlerts } = await import("../scripts/homeStorageDiff");
        const alerts = homeStorageAlerts([
            [namespace("moved", kind("csi:efs.csi.aws.com")), namespace("moved", kind("nfs-server", 500))],
            [namespace("shrunk", kind("nfs-server", 500)), namespace("shrunk", kind("nfs-server", 300))],
            [namespace("grown", kind("nfs-server", 500)), namespace("grown", kind("nfs-server", 800))],
            // Homes added to a hub that kept none, or a base deployed before the annotations: nothing to move.
            [namespace("added", kind("none")), namespace("added", kind("nfs-server", 100))],
            [namespace("older"), namespace("older", kind("nfs"))],
        ]);
        assert.deepStrictEqual(alerts, [
            "hub moved: home storage changes from csi:efs.csi.aws.com to nfs-server, which would leave every home on the old storage and give users empty ones: " +
            "revert the change and follow docs/homes.md, \"Moving a hub to another home storage type\"",
            "hub shrunk: homeStorage.sizeGb shrinks from 500 to 300, and no cloud shrinks a volume in place: keep sizeGb at 500 or more " +
            "(to use less, move the homes to a new hub: docs/homes.md)",
        ]);
    });
});

describe("homes: the NFS server's chart values", () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(homeNfsSchema);
    const accepts = (values: object) => {
        const merged = deepMerge(homeNfsDefaults as object, values);
        assert.ok(validate(merged), JSON.stringify(validate.errors));
    };

    it("serves the cloud disk by id on the disk's node, with the per-user quota, squashing to the users' uid", async () => {
        const { homeNfsValues } = await import("../components/homeNfsServer");
        const values = homeNfsValues({ disk: { cloud: "gke", volumeId: "projects/p/zones/us-central1-c/disks/exh-oceans-homes" }, quotaGb: 30,
            nodeSelector: { "topology.kubernetes.io/zone": "us-central1-c" } }) as any;
        accepts(values);
        assert.deepStrictEqual(values.gke, { enabled: true, volumeId: "projects/p/zones/us-central1-c/disks/exh-oceans-homes" });
        assert.ok(!("eks" in values) && !("openstack" in values));
        assert.strictEqual(values.quotaEnforcer.enabled, true);
        assert.deepStrictEqual(values.quotaEnforcer.config.QuotaManager,
            { paths: ["/export"], hard_quota: 30, wait_time: 30, min_projid: 1000, exclude: ["_shared"], uid: 1000, gid: 100 });
        assert.strictEqual(values.autoResizer.enabled, true, "xfs_growfs makes a grown disk usable");
        assert.ok(!("persistentVolume" in values), "the chart's claim has no class: a larger request would be a refused resize");
        assert.deepStrictEqual(values.nodeSelector, { "topology.kubernetes.io/zone": "us-central1-c" });
    });

    it("names no cloud disk for a claim from a storage class, so the chart makes no PV", async () => {
        const { homeNfsValues } = await import("../components/homeNfsServer");
        const values = homeNfsValues({ disk: { storageClass: "homes-xfs", sizeGb: 500 }, quotaGb: 10, nodeSelector: {} }) as any;
        accepts(values);
        // templates/persistent-volume.yaml renders only `if or .Values.eks.enabled .Values.gke.enabled .Values.openstack.enabled`.
        assert.ok(!("eks" in values) && !("gke" in values) && !("openstack" in values));
        assert.deepStrictEqual([values.quotaEnforcer.enabled, values.nodeSelector], [true, {}]);
    });

    it("runs no quota enforcer without a quota", async () => {
        const { homeNfsValues } = await import("../components/homeNfsServer");
        const values = homeNfsValues({ disk: { cloud: "openstack", volumeId: "0b5c-uuid" }, nodeSelector: {} }) as any;
        accepts(values);
        assert.strictEqual(values.quotaEnforcer.enabled, false);
    });
});

/** Deploys `raw` (config keys) under mocks and returns the recorder once every registration has landed. */
async function deploy(raw: Record<string, unknown>): Promise<MockRecorder> {
    const recorder = useMocks({ config: raw, secretKeys: ["hubSecrets"] });
    const { loadFleetConfig } = await import("../components/config");
    const { deployFleet } = await import("../components/fleet");
    deployFleet(loadFleetConfig());
    await settleRegistrations(recorder);
    return recorder;
}

/** A release's values as sent, secrets unwrapped (the helm provider's view; scripts/engineModel/helmRelease.ts). */
const releaseValues = (resource: RecordedResource): any => stripSecrets(resource.wireInputs.values);

/** What every nfs-server hub gets: its server's release, and users' PV on that server's address. */
async function assertServedHome(recorder: MockRecorder, hubKey: string, cloud: string | undefined, volumeId: string | undefined, quotaGb: number | undefined) {
    const server = recorder.get("kubernetes:helm.sh/v3:Release", `${hubKey}-home-nfs-release`).inputs;
    assert.deepStrictEqual([server.name, server.namespace, server.chart, server.version],
        [`${hubKey}-home-nfs`, hubKey, "oci://ghcr.io/2i2c-org/jupyterhub-home-nfs/jupyterhub-home-nfs", "1.2.0"]);
    assert.strictEqual(server.repositoryOpts, undefined, "an OCI chart has no repository");
    for (const key of ["eks", "gke", "openstack"]) {
        assert.deepStrictEqual(server.values[key], key === cloud ? { enabled: true, volumeId } : undefined, `values.${key}`);
    }
    assert.strictEqual(server.values.quotaEnforcer.config.QuotaManager.hard_quota, quotaGb ?? 0);
    assert.strictEqual(server.values.quotaEnforcer.enabled, quotaGb !== undefined);

    const pv = recorder.get("kubernetes:core/v1:PersistentVolume", `${hubKey}-home`);
    assert.deepStrictEqual(pv.inputs.spec.nfs, { server: "10.100.0.10", path: "/" }, "the server's Service address: kubelet cannot resolve cluster DNS");
    assert.ok(pv.inputs.spec.mountOptions.includes("soft") && pv.inputs.spec.mountOptions.includes("noresvport"));
    assert.strictEqual(pv.inputs.spec.persistentVolumeReclaimPolicy, "Retain");
    assert.strictEqual(recorder.sent.get(`kubernetes:core/v1:PersistentVolume::${hubKey}-home`)?.protect, true);

    const hub = releaseValues(recorder.get("kubernetes:helm.sh/v3:Release", `${hubKey}-release`));
    assert.deepStrictEqual(hub.singleuser.storage.static, { pvcName: "home", subPath: "{escaped_username}" });
    // ganesha squashes every client to the users' uid: no root init container hands homes over.
    assert.deepStrictEqual(hub.singleuser.initContainers ?? [], []);
    const namespace = recorder.get("kubernetes:core/v1:Namespace", `${hubKey}-namespace`).inputs;
    assert.strictEqual(namespace.metadata.annotations["jupyterhub-fleet/home-storage"], "nfs-server");
    return hub;
}

function protectedSent(recorder: MockRecorder, type: string, name: string): boolean {
    return recorder.sent.get(`${type}::${name}`)?.protect === true;
}

describe("homes: nfs-server on AWS", function () {
    this.timeout(120000);
    let recorder: MockRecorder;
    before(async () => {
        recorder = await deploy({
            clusters: { uw2: awsCluster({ homeStorage: NFS_SERVER, nodePools: {
                core: { machineType: "r5.xlarge", minNodes: 1, maxNodes: 3, zones: ["us-west-2b"] },
                user: { machineType: "r5.4xlarge", minNodes: 0, maxNodes: 20 } } }) },
            hubs: {
                research: hubOn("uw2", { homeQuotaGb: 30, sharedDirectory: { mountPath: "/srv/shared" }, adminHomeAccess: true }),
                teaching: hubOn("uw2"),
            },
            hubSecrets: { research: { auth: { clientSecret: "s" } }, teaching: { auth: { clientSecret: "s" } } },
        });
    });

    it("makes one encrypted, protected gp3 volume per hub, sized, in the core pool's zone, tagged for cost and snapshots", () => {
        for (const hubKey of ["research", "teaching"]) {
            const volume = recorder.get("aws:ebs/volume:Volume", `uw2-home-disks-${hubKey}`).inputs;
            assert.deepStrictEqual([volume.type, volume.size, volume.encrypted, volume.availabilityZone], ["gp3", 500, true, "us-west-2b"]);
            assert.deepStrictEqual(volume.tags, {
                "jupyterhub-fleet-cluster": "uw2", "jupyterhub-fleet-hub": hubKey, "jupyterhub-fleet-home-snapshots": "uw2", Name: `uw2-${hubKey}-homes`,
            });
            assert.ok(protectedSent(recorder, "aws:ebs/volume:Volume", `uw2-home-disks-${hubKey}`));
        }
        assert.strictEqual(recorder.ofType("aws:efs/fileSystem:FileSystem").length, 0);
    });

    it("snapshots them daily through Data Lifecycle Manager, kept keepDays, with DLM's role", () => {
        const policy = recorder.get("aws:dlm/lifecyclePolicy:LifecyclePolicy", "uw2-home-disks-snapshots").inputs;
        assert.deepStrictEqual(policy.policyDetails.resourceTypes, ["VOLUME"]);
        assert.deepStrictEqual(policy.policyDetails.targetTags, { "jupyterhub-fleet-home-snapshots": "uw2" });
        const [schedule] = policy.policyDetails.schedules;
        assert.deepStrictEqual(schedule.createRule, { interval: 24, intervalUnit: "HOURS", times: "03:00" });
        assert.deepStrictEqual(schedule.retainRule, { interval: 14, intervalUnit: "DAYS" });
        const role = recorder.get("aws:iam/role:Role", "uw2-home-disks-snapshots").inputs;
        assert.deepStrictEqual(JSON.parse(role.assumeRolePolicy).Statement[0].Principal, { Service: "dlm.amazonaws.com" });
        assert.strictEqual(recorder.get("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "uw2-home-disks-snapshots").inputs.policyArn,
            "arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole");
    });

    it("serves each hub from its own NFS server in the volume's zone, with the hub's quota, and users mount it", async () => {
        const research = await assertServedHome(recorder, "research", "eks", "uw2-home-disks-research-id", 30);
        await assertServedHome(recorder, "teaching", "eks", "uw2-home-disks-teaching-id", 20);
        const server = recorder.get("kubernetes:helm.sh/v3:Release", "research-home-nfs-release").inputs;
        assert.deepStrictEqual(server.values.nodeSelector, { "hub.jupyter.org/node-purpose": "core", "topology.kubernetes.io/zone": "us-west-2b" });
        assert.ok(research.hub.extraConfig["65-shared-directories"].includes("fleet_spawn_hooks.append(fleet_shared_directories)"));
        const teaching = releaseValues(recorder.get("kubernetes:helm.sh/v3:Release", "teaching-release"));
        assert.strictEqual(teaching.hub.extraConfig?.["65-shared-directories"], undefined);
    });
});

describe("homes: nfs-server on GCP", function () {
    this.timeout(120000);
    let recorder: MockRecorder;
    before(async () => {
        recorder = await deploy({
            clusters: { exh: gcpCluster(NFS_SERVER) },
            hubs: { oceans: hubOn("exh", { sharedDirectory: { mountPath: "/srv/shared", writableBy: "everyone" } }) },
            hubSecrets: { oceans: { auth: { clientSecret: "s" } } },
        });
    });

    it("makes a protected balanced disk per hub in the cluster's zone, sized and labelled", () => {
        const disk = recorder.get("gcp:compute/disk:Disk", "exh-home-disks-oceans").inputs;
        assert.deepStrictEqual([disk.name, disk.type, disk.size, disk.zone], ["exh-oceans-homes", "pd-balanced", 500, "us-central1-c"]);
        assert.deepStrictEqual(disk.labels, { "jupyterhub-fleet-cluster": "exh", "jupyterhub-fleet-hub": "oceans" });
        assert.ok(protectedSent(recorder, "gcp:compute/disk:Disk", "exh-home-disks-oceans"));
    });

    it("attaches a daily snapshot schedule kept keepDays, whose snapshots outlive the disk", () => {
        const policy = recorder.get("gcp:compute/resourcePolicy:ResourcePolicy", "exh-home-disks-snapshots").inputs;
        assert.strictEqual(policy.name, "exh-homes-daily-14d");
        assert.deepStrictEqual(policy.snapshotSchedulePolicy.schedule, { dailySchedule: { daysInCycle: 1, startTime: "03:00" } });
        assert.deepStrictEqual(policy.snapshotSchedulePolicy.retentionPolicy, { maxRetentionDays: 14, onSourceDiskDelete: "KEEP_AUTO_SNAPSHOTS" });
        const attachment = recorder.get("gcp:compute/diskResourcePolicyAttachment:DiskResourcePolicyAttachment", "exh-home-disks-oceans-snapshots").inputs;
        assert.deepStrictEqual([attachment.name, attachment.disk, attachment.zone], ["exh-homes-daily-14d", "exh-oceans-homes", "us-central1-c"]);
    });

    it("serves the disk from the hub's NFS server, and its values pass the z2jh schema", async () => {
        const values = await assertServedHome(recorder, "oceans", "gke", "exh-home-disks-oceans-id", 20);
        assertChartAccepts("oceans's values", values);
        assert.ok(values.hub.extraConfig["65-shared-directories"].includes('\\"everyoneWrites\\":true'));
    });
});

describe("homes: nfs-server on OVH", function () {
    this.timeout(120000);
    let recorder: MockRecorder;
    before(async () => {
        recorder = await deploy({
            clusters: { gra: ovhCluster({ type: "nfs-server", sizeGb: 200 }) },
            hubs: { gfts: hubOn("gra", { adminHomeAccess: true }) },
            hubSecrets: { gfts: { auth: { clientSecret: "s" } } },
        });
    });

    it("makes a protected, encrypted Cinder volume per hub, sized, and no per-user storage class", async () => {
        const volume = recorder.get("ovh:index/cloudStorageBlockVolume:CloudStorageBlockVolume", "gra-home-disks-gfts").inputs;
        assert.deepStrictEqual([volume.name, volume.region, volume.size, volume.encryption], ["gra-gfts-homes", "GRA11", 200, { enabled: true }]);
        assert.ok(protectedSent(recorder, "ovh:index/cloudStorageBlockVolume:CloudStorageBlockVolume", "gra-home-disks-gfts"));
        assert.strictEqual(recorder.ofType("kubernetes:storage.k8s.io/v1:StorageClass").filter(r => r.name === "gra-homes").length, 0);
        await assertServedHome(recorder, "gfts", "openstack", "gra-home-disks-gfts-id", undefined);
    });
});

describe("homes: shared directory on Filestore", function () {
    this.timeout(120000);
    let recorder: MockRecorder;
    before(async () => {
        recorder = await deploy({
            clusters: { exr: gcpCluster({ type: "filestore", tier: "BASIC_HDD", capacityGb: 1024 }) },
            hubs: { climate: hubOn("exr", { sharedDirectory: { mountPath: "/srv/shared" }, adminHomeAccess: true }) },
            hubSecrets: { climate: { auth: { clientSecret: "s" } } },
        });
    });

    it("hands the hub's _shared directory to the users with the root init container that hands over new homes", () => {
        const values = releaseValues(recorder.get("kubernetes:helm.sh/v3:Release", "climate-release"));
        const [init] = values.singleuser.initContainers;
        assert.deepStrictEqual(init.volumeMounts, [
            { name: "home", mountPath: "/home/jovyan", subPath: "{escaped_username}" },
            // The hub's PV is its own directory of the share (/homes/climate): _shared is beside its users' homes.
            { name: "home", mountPath: "/fleet-shared", subPath: "_shared" },
        ]);
        assert.strictEqual(init.command[2],
            '{ [ "$(stat -c %u /home/jovyan)" = "1000" ] || chown 1000:100 /home/jovyan; } && { [ "$(stat -c %u /fleet-shared)" = "1000" ] || chown 1000:100 /fleet-shared; }');
        assert.ok(values.hub.extraConfig["65-shared-directories"].includes('\\"subPath\\":\\"_shared\\"'));
        assertChartAccepts("climate's values", values);
        const pv = recorder.get("kubernetes:core/v1:PersistentVolume", "climate-home").inputs.spec;
        assert.strictEqual(pv.nfs.path, "/homes/climate");
    });
});

/**
 * What helm pipes into the post-renderer for an existing cluster's hub `lab`: jupyterhub-home-nfs 1.2.0 rendered
 * for homeNfsValues without a cloud disk (release lab-home-nfs, fullnameOverride ""), as helm writes it (pkg/action
 * action.go `renderResources`: `---` and `# Source: <template>` before each), abridged to what the templates make of
 * those values around the claim: templates/persistent-volume-claim.yaml, service.yaml and deployment.yaml.
 */
function renderedChart(claim: { volumeName?: string } = {}, mountedClaim = "home-nfs"): string {
    const labels = "  labels:\n    helm.sh/chart: jupyterhub-home-nfs-1.2.0\n    app.kubernetes.io/name: home-nfs\n" +
        "    app.kubernetes.io/instance: lab-home-nfs\n    app.kubernetes.io/managed-by: Helm\n";
    return [
        "---\n# Source: jupyterhub-home-nfs/templates/persistent-volume-claim.yaml\napiVersion: v1\nkind: PersistentVolumeClaim\n" +
        `metadata:\n  name: home-nfs\n${labels}    app.kubernetes.io/component: storage\nspec:\n  accessModes:\n    - ReadWriteOnce\n` +
        "  volumeMode: Filesystem\n  resources:\n    requests:\n      storage: 1M\n  storageClassName: \"\"\n" +
        (claim.volumeName ? `  volumeName: ${claim.volumeName}\n` : ""),
        "---\n# Source: jupyterhub-home-nfs/templates/service.yaml\napiVersion: v1\nkind: Service\n" +
        `metadata:\n  name: home-nfs\n${labels}spec:\n  type: ClusterIP\n  ports:\n    - name: nfs\n      port: 2049\n  selector:\n    app: nfs-server\n`,
        "---\n# Source: jupyterhub-home-nfs/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\n" +
        `metadata:\n  name: home-nfs\n${labels}spec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: nfs-server\n` +
        "        image: \"ghcr.io/2i2c-org/nfs-ganesha:0.0.7\"\n        volumeMounts:\n        - name: home-directories\n          mountPath: /export\n" +
        `      volumes:\n      - name: home-directories\n        persistentVolumeClaim:\n          claimName: ${mountedClaim}\n` +
        "      - name: ganesha-config\n        configMap:\n          name: home-nfs-ganesha-config\n",
    ].join("");
}

/** Runs the post-renderer as helm does (pkg/postrender/exec.go: the executable, manifests on stdin). */
async function postrender(manifests: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const { HOME_NFS_POSTRENDER } = await import("../components/homeNfsServer");
    const result = spawnSync(path.resolve(process.cwd(), HOME_NFS_POSTRENDER), { input: manifests, encoding: "utf8" });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("homes: the post-renderer that leaves the NFS server the fleet's claim", () => {
    it("is named relative to the provider's working directory, compiled (bin/) or not, and is an executable there", async () => {
        const { HOME_NFS_POSTRENDER, homeNfsPostrenderPath } = await import("../components/homeNfsServer");
        assert.strictEqual(homeNfsPostrenderPath("/srv/fleet/bin/components/homeNfsServer.js", "/srv/fleet/bin"), "../components/homeNfsPostrender.js");
        assert.strictEqual(homeNfsPostrenderPath("/home/ci/fleet/components/homeNfsServer.ts", "/home/ci/fleet"), "components/homeNfsPostrender.js");
        assert.strictEqual(HOME_NFS_POSTRENDER, "components/homeNfsPostrender.js", "mocha runs in the project directory, as ts-node would");
        const mode = fs.statSync(path.resolve(process.cwd(), HOME_NFS_POSTRENDER)).mode;
        assert.ok((mode & 0o111) !== 0, "helm execs it");
    });

    it("drops the chart's claim of the mounted name and passes everything else on byte for byte", async () => {
        const rendered = renderedChart();
        const result = await postrender(rendered);
        assert.strictEqual(result.status, 0, result.stderr);
        const objects = parseAllDocuments(result.stdout).map(document => document.toJS());
        assert.deepStrictEqual(objects.map(o => `${o?.kind}/${o?.metadata.name}`), ["Service/home-nfs", "Deployment/home-nfs"]);
        // The claim is the first document: what follows it is the output.
        assert.strictEqual(result.stdout, rendered.slice(rendered.indexOf("---\n# Source: jupyterhub-home-nfs/templates/service.yaml")));
    });

    it("stops the install when the chart's claim is bound to a disk of its own, or the Deployment mounts another claim", async () => {
        const bound = await postrender(renderedChart({ volumeName: "lab-home-nfs-home-nfs" }));
        assert.strictEqual(bound.status, 1);
        assert.strictEqual(bound.stderr, "homeNfsPostrender: the chart's claim home-nfs is bound to its own volume lab-home-nfs-home-nfs: no cloud disk may be set\n");
        const other = await postrender(renderedChart({}, "other"));
        assert.strictEqual(other.status, 1);
        assert.strictEqual(other.stderr, "homeNfsPostrender: expected the chart's claim other once, found it 0 times\n");
        assert.strictEqual(other.stdout, "", "nothing for helm to install");
    });
});

describe("homes: an existing cluster's storage class for nfs-server volumes", () => {
    it("must retain, and with quotas make XFS mounted with project quotas", async () => {
        const { nfsServerClassProblem } = await import("../components/homeStorageClass");
        const xfs = { reclaimPolicy: "Retain", parameters: { "csi.storage.k8s.io/fstype": "xfs" }, mountOptions: ["pquota"] };
        assert.strictEqual(nfsServerClassProblem("homes-xfs", xfs, true), undefined);
        assert.strictEqual(nfsServerClassProblem("legacy", { ...xfs, parameters: { fsType: "XFS" }, mountOptions: ["prjquota"] }, true), undefined);
        assert.strictEqual(nfsServerClassProblem("ceph-rbd", { reclaimPolicy: "Retain" }, false), undefined, "no quota: any file system");
        assert.strictEqual(nfsServerClassProblem("standard", { reclaimPolicy: "Delete" }, false),
            "storage class standard has reclaimPolicy Delete, so a hub's nfs-server volume would be deleted with its claim: " +
            "name a class with reclaimPolicy: Retain in homeStorage.storageClass");
        assert.strictEqual(nfsServerClassProblem("ceph-rbd", { reclaimPolicy: "Retain" }, true),
            "storage class ceph-rbd makes its driver's default volumes mounted without project quotas, where per-user quotas need XFS with pquota: " +
            "name a class with parameters { csi.storage.k8s.io/fstype: xfs } and mountOptions [pquota], or remove perUserQuotaGb and the hubs' homeQuotaGb");
        assert.match(nfsServerClassProblem("xfs-plain", { ...xfs, mountOptions: [] }, true)!, /^storage class xfs-plain makes xfs volumes mounted without project quotas/);
        assert.match(nfsServerClassProblem("ext4-quota", { ...xfs, parameters: { "csi.storage.k8s.io/fstype": "ext4" } }, true)!,
            /^storage class ext4-quota makes ext4 volumes mounted with project quotas, where per-user quotas need XFS/);
    });

    it("is read from the cluster, and a class that would delete the volume fails the deployment", async () => {
        useMocks({ outputs: { "kubernetes:storage.k8s.io/v1:StorageClass": () => ({ reclaimPolicy: "Delete" }) } });
        const { nfsServerStorageClass } = await import("../components/homeStorageClass");
        await assert.rejects(settledValueOf(nfsServerStorageClass("onprem-home-storage-class", "standard", false, {})),
            /^Error: storage class standard has reclaimPolicy Delete, so a hub's nfs-server volume would be deleted with its claim/);
    });
});

/** An existing cluster with nfs-server homes on the site's class, deployed under mocks. */
async function deployOnPrem(mode?: "empty-cluster-preview"): Promise<{ recorder: MockRecorder; fleet: Fleet }> {
    const recorder = useMocks({
        mode,
        config: {
            clusters: { onprem: { provider: "kubernetes", context: "onprem",
                homeStorage: { type: "nfs-server", sizeGb: 500, perUserQuotaGb: 20, storageClass: "homes-xfs" } } },
            hubs: { lab: hubOn("onprem", { homeQuotaGb: 30, sharedDirectory: { mountPath: "/srv/shared" } }) },
            hubSecrets: { lab: { auth: { clientSecret: "s" } } },
        },
        secretKeys: ["hubSecrets"],
        // The site's class, as `kubectl get storageclass homes-xfs -o yaml` shows it.
        outputs: { "kubernetes:storage.k8s.io/v1:StorageClass": () => ({
            reclaimPolicy: "Retain", allowVolumeExpansion: true, volumeBindingMode: "WaitForFirstConsumer",
            parameters: { "csi.storage.k8s.io/fstype": "xfs" }, mountOptions: ["pquota"],
        }) },
    });
    const { loadFleetConfig } = await import("../components/config");
    const { deployFleet } = await import("../components/fleet");
    const fleet = deployFleet(loadFleetConfig());
    await settleRegistrations(recorder);
    return { recorder, fleet };
}

describe("homes: nfs-server on an existing cluster", function () {
    this.timeout(120000);
    let recorder: MockRecorder;
    let fleet: Fleet;
    before(async () => {
        ({ recorder, fleet } = await deployOnPrem());
    });

    it("claims each hub's volume from the class once it is read to retain, sized, protected, as the chart's Deployment names it", async () => {
        const read = recorder.get("kubernetes:storage.k8s.io/v1:StorageClass", "onprem-home-storage-class");
        assert.strictEqual(read.readId, "homes-xfs");
        const claim = recorder.get("kubernetes:core/v1:PersistentVolumeClaim", "lab-home-nfs-claim").inputs;
        assert.deepStrictEqual(claim, {
            apiVersion: "v1", kind: "PersistentVolumeClaim",
            metadata: { name: "home-nfs", namespace: "lab" },
            spec: { accessModes: ["ReadWriteOnce"], storageClassName: "homes-xfs", resources: { requests: { storage: "500Gi" } } },
        });
        assert.ok(protectedSent(recorder, "kubernetes:core/v1:PersistentVolumeClaim", "lab-home-nfs-claim"));
        const volume = fleet.platforms.onprem.homeVolume("lab");
        assert.deepStrictEqual([volume.kind, volume.kind === "nfs-server" && volume.nodeSelector], ["nfs-server", {}]);
    });

    it("serves it from the chart with its own claim dropped, after the claim exists, with the hub's quota, and users mount the server", async () => {
        const values = await assertServedHome(recorder, "lab", undefined, undefined, 30);
        const server = recorder.sent.get("kubernetes:helm.sh/v3:Release::lab-home-nfs-release")!;
        assert.strictEqual(server.wireInputs.postrender, "components/homeNfsPostrender.js");
        assert.ok(server.dependencies.some(urn => urn.endsWith("::lab-home-nfs-claim")), "helm installs once the claim exists");
        assertChartAccepts("lab's values", values);
        assert.ok(values.hub.extraConfig["65-shared-directories"].includes("fleet_spawn_hooks.append(fleet_shared_directories)"));
    });

    it("grows the volume in place on a larger sizeGb: only the claim's request changes, which the provider patches", async () => {
        const { homeNfsClaimArgs } = await import("../components/homeNfsServer");
        const claim = (sizeGb: number, storageClass = "homes-xfs"): PlanJsonResource => ({
            urn: "urn:pulumi:test::jupyterhub-fleet::kubernetes:core/v1:PersistentVolumeClaim::lab-home-nfs-claim",
            type: "kubernetes:core/v1:PersistentVolumeClaim", name: "lab-home-nfs-claim", custom: true, protect: true, retainOnDelete: false,
            inputs: homeNfsClaimArgs("lab", { storageClass, sizeGb }) as Record<string, unknown>,
        });
        const plan = (resource: PlanJsonResource): PlanJson => ({ stack: "test", resources: [resource], outputs: {}, violations: [] });
        const grown = diffPlans(plan(claim(500)), plan(claim(800)));
        assert.deepStrictEqual([grown.changes.map(c => c.paths), grown.replaces, grown.alerts], [[["spec.resources.requests.storage"]], [], []]);
        const moved = diffPlans(plan(claim(500)), plan(claim(500, "other")));
        assert.strictEqual(moved.replaces[0]?.replacedBecause, "changed spec.storageClassName");
        assert.match(moved.alerts[0], /^replaces protected/);
    });
});

describe("homes: nfs-server on an existing cluster, first preview", function () {
    this.timeout(120000);

    it("plans the claim from the class it reads (an object the fleet does not make) and the server after it", async () => {
        const { recorder } = await deployOnPrem("empty-cluster-preview");
        const claim = recorder.sent.get("kubernetes:core/v1:PersistentVolumeClaim::lab-home-nfs-claim")!;
        assert.strictEqual(claim.wireInputs.spec.storageClassName, "homes-xfs", "known in the preview: the read runs then");
        assert.ok(recorder.sent.get("kubernetes:helm.sh/v3:Release::lab-home-nfs-release")!.dependencies.some(urn => urn.endsWith("::lab-home-nfs-claim")));
    });
});
