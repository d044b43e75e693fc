/**
 * Home storage operators can size, cap, snapshot and share (issue 14): the config rules, the chart values of a
 * hub's NFS server, the disks and snapshot policies on each cloud as registered, and what users mount.
 */
import * as assert from "assert";
import Ajv from "ajv";
import { deepMerge } from "../components/util";
import { expectExactly, expectProblem, fleetWith, problemsOf } from "./configProblems";
import { awsCluster, githubHub } from "./fixtures";
import { assertChartAccepts } from "./chartSchema";
import { MockRecorder, RecordedResource, settleRegistrations, useMocks } from "./harness";
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
            "clusters.gra.homeStorage.snapshots: ovh clusters have no snapshot schedule for volumes (remove it and schedule CSI VolumeSnapshots as docs/homes.md (\"Snapshots on OVH\") shows)",
            "hubs.staging.homeQuotaGb: 80 GB per user is more than the hub's volume (sizeGb 50) (lower it to at most 50)",
            "hubs.staging.sharedDirectory.mountPath: /home/jovyan/shared is inside the user's home (/home/jovyan), where it would hide or shadow their files (mount it outside the home, e.g. /srv/shared (users can link it: ln -s /srv/shared ~/shared))",
            "hubs.gfts.sharedDirectory.mountPath: /home/jovyan is inside the user's home (/home/jovyan), where it would hide or shadow their files (mount it outside the home, e.g. /srv/shared (users can link it: ln -s /srv/shared ~/shared))",
            "hubs.climate.homeQuotaGb: clusters.exr.homeStorage is dynamic, which has no per-user quotas (remove it, or use homeStorage type nfs-server (docs/homes.md))",
            "hubs.climate.sharedDirectory: clusters.exr.homeStorage is dynamic (one volume per user), which has no directory all users can mount (remove it, or use a shared home storage type (efs, filestore, nfs, nfs-server))",
            "hubs.climate.adminHomeAccess: clusters.exr.homeStorage is dynamic: each home is its own volume, which one server cannot mount all of (remove it, or use a shared home storage type (efs, filestore, nfs, nfs-server))");
    });

    it("has no nfs-server on existing clusters, and no quotas where the storage has none", () => {
        const problems = problemsOf(fleetWith(f => {
            f.clusters.onprem = { provider: "kubernetes", context: "onprem", homeStorage: { type: "nfs-server", sizeGb: 100 } };
            f.hubs.staging.homeQuotaGb = 10;
        }));
        expectProblem(problems, /^clusters\.onprem\.homeStorage\.type: .*nfs-server/);
        expectProblem(problems, /^hubs\.staging\.homeQuotaGb: clusters\.uw2\.homeStorage is efs, which has no per-user quotas/);
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
async function assertServedHome(recorder: MockRecorder, hubKey: string, cloud: string, volumeId: string, quotaGb: number | undefined) {
    const server = recorder.get("kubernetes:helm.sh/v3:Release", `${hubKey}-home-nfs-release`).inputs;
    assert.deepStrictEqual([server.name, server.namespace, server.chart, server.version],
        [`${hubKey}-home-nfs`, hubKey, "oci://ghcr.io/2i2c-org/jupyterhub-home-nfs/jupyterhub-home-nfs", "1.2.0"]);
    assert.strictEqual(server.repositoryOpts, undefined, "an OCI chart has no repository");
    assert.deepStrictEqual(server.values[cloud], { enabled: true, volumeId });
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
