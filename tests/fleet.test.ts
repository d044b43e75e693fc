import * as assert from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { Fleet } from "../components/fleet";
import { FleetConfigError } from "../components/config";
import { listStacks, placeholderFor, readStackFile } from "../scripts/stackConfig";
import { DEFAULT_OUTPUTS, MockRecorder, isSecret, unwrapSecret, useMocks, valueOf } from "./harness";
import { checkRelease, plaintextSecrets } from "../scripts/engineModel/helmRelease";
import { awsFleet } from "./fixtures";
import { declaresTagField, effectiveTags, isTaggable, providerOf } from "../scripts/engineModel/defaultTags";

const ROOT = path.join(__dirname, "..");

/** Waits for every output of the fleet, which also waits for the resources they come from. */
async function settleFleet(fleet: Fleet): Promise<void> {
    await valueOf(pulumi.output(fleet.outputs as unknown as pulumi.Input<object>));
    await Promise.all(Object.values(fleet.hubs).map(hub => valueOf(hub.release.status)));
}

describe("the program on each example stack, under mocks", () => {
    for (const stack of listStacks(ROOT)) {
        describe(`stack ${stack}`, () => {
            let recorder: MockRecorder;
            let fleet: Fleet;

            before(async () => {
                const { config, secretKeys } = readStackFile(stack, ROOT);
                recorder = useMocks({ stack, config, secretKeys });
                const { loadFleetConfig } = await import("../components/config");
                const { deployFleet } = await import("../components/fleet");
                fleet = deployFleet(loadFleetConfig());
                await settleFleet(fleet);
            });

            it("installs one pinned jupyterhub release per hub, in the hub's namespace", () => {
                const releases = recorder.ofType("kubernetes:helm.sh/v3:Release").filter(r => r.inputs.chart === "jupyterhub");
                assert.deepStrictEqual(releases.map(r => r.inputs.name).sort(), Object.keys(fleet.hubs).sort());
                for (const release of releases) {
                    assert.match(release.inputs.version, /^\d+\.\d+\.\d+$/);
                    assert.strictEqual(release.inputs.namespace, release.inputs.name);
                }
            });

            it("leaves no configured or generated secret readable in any release's state, as the provider's Check writes it", () => {
                const { securePaths } = readStackFile(stack, ROOT);
                const generated = [
                    ...recorder.ofType("random:index/randomBytes:RandomBytes")
                        .map(r => DEFAULT_OUTPUTS["random:index/randomBytes:RandomBytes"](r.name, r.inputs).hex as string),
                    // Monitoring's per-hub metrics tokens (in each hub's values) and Grafana's admin password.
                    ...recorder.ofType("random:index/randomPassword:RandomPassword")
                        .map(r => DEFAULT_OUTPUTS["random:index/randomPassword:RandomPassword"](r.name, r.inputs).result as string),
                ];
                const configured = securePaths.map(placeholderFor);
                assert.ok(generated.length >= 3 * Object.keys(fleet.hubs).length);
                for (const release of recorder.ofType("kubernetes:helm.sh/v3:Release")) {
                    const leaks = plaintextSecrets(checkRelease(release.wireInputs), [...generated, ...configured]);
                    assert.deepStrictEqual(leaks, [], `${release.name}: secrets in plain text in the state`);
                }
            });

            it("gives every hub with shared homes a PV on its own platform's volume, claimed in its namespace, and none to storage: none", async () => {
                const { loadFleetConfig } = await import("../components/config");
                for (const [key, spec] of Object.entries(loadFleetConfig().hubs)) {
                    if (spec.storage === "none") {
                        for (const type of ["kubernetes:core/v1:PersistentVolume", "kubernetes:core/v1:PersistentVolumeClaim"]) {
                            const own = recorder.ofType(type).filter(r => r.name.startsWith(`${key}-home`)).map(r => r.name);
                            assert.deepStrictEqual(own, [], `${key} has storage: none`);
                        }
                        continue;
                    }
                    const volume = fleet.platforms[spec.cluster].homeVolume(key);
                    if (volume.kind === "dynamic") continue;
                    const pv = recorder.get("kubernetes:core/v1:PersistentVolume", `${key}-home`).inputs.spec;
                    if (volume.kind === "csi") {
                        assert.deepStrictEqual(pv.csi, { driver: volume.driver, volumeHandle: await valueOf(volume.volumeHandle) });
                    } else if (volume.kind === "nfs-server") {
                        // The hub's own server, by the cluster IP of the Service its release made.
                        assert.strictEqual(pv.nfs.path, "/");
                        assert.ok(recorder.get("kubernetes:helm.sh/v3:Release", `${key}-home-nfs-release`));
                    } else {
                        assert.deepStrictEqual(pv.nfs, { server: await valueOf(volume.server), path: volume.path });
                    }
                    const claim = recorder.get("kubernetes:core/v1:PersistentVolumeClaim", `${key}-home-claim`).inputs;
                    assert.deepStrictEqual([claim.metadata.namespace, claim.spec.volumeName], [key, `${key}-home`]);
                }
            });

            it("builds one platform per cluster, each with its own Kubernetes provider", () => {
                const clusters = Object.keys(fleet.platforms);
                const providers = recorder.ofType("pulumi:providers:kubernetes").map(r => r.name);
                for (const cluster of clusters) {
                    assert.ok(providers.includes(`${cluster}-k8s`), `no provider for ${cluster}: ${providers.join(", ")}`);
                }
            });

            it("exports kubeconfigs as one secret output, which CI masks, and every hub's URL and namespace", async () => {
                assert.ok(await isSecret(fleet.outputs.kubeconfigs), "the kubeconfigs output is not secret as a whole");
                assert.deepStrictEqual(Object.keys(await valueOf(fleet.outputs.kubeconfigs)).sort(), Object.keys(fleet.platforms).sort());
                assert.ok(!JSON.stringify(await valueOf(pulumi.output(fleet.outputs.clusters as unknown as pulumi.Input<object>)))
                    .includes("apiVersion"), "no kubeconfig inside the public clusters output");
                for (const [key, hub] of Object.entries(fleet.outputs.hubs)) {
                    assert.strictEqual(await valueOf(hub.namespace), key);
                    assert.ok((await valueOf(hub.url)).length > 0);
                }
            });

            it("lists in a hub's bucketUrls only the buckets its users' credentials reach", async () => {
                const { loadFleetConfig } = await import("../components/config");
                const { grantedBuckets } = await import("../components/platform");
                const config = loadFleetConfig();
                for (const [key, hub] of Object.entries(fleet.outputs.hubs)) {
                    const spec = config.hubs[key];
                    const listed = Object.keys(await valueOf(hub.bucketUrls));
                    const provider = config.clusters[spec.cluster].provider;
                    if (provider === "aws" || provider === "gcp") {
                        // Without cloudAccess an AWS or GCP hub has no identity, so it reaches no bucket.
                        assert.deepStrictEqual(listed, grantedBuckets(spec), key);
                    } else {
                        assert.ok(listed.every(b => b in config.clusters[spec.cluster].buckets), key);
                    }
                }
            });

            it("tags every taggable AWS and GCP resource with its cluster, and each hub's identity and home storage with the hub", async () => {
                const { CLUSTER_TAG, HUB_TAG } = await import("../components/tags");
                const { resourceKey } = await import("../components/fleet");
                const config = (await import("../components/config")).loadFleetConfig();
                const cloud = Object.entries(config.clusters).filter(([, c]) => c.provider === "aws" || c.provider === "gcp");
                const taggable = recorder.resources.filter(r => r.readId === undefined && isTaggable(r.type));
                // The SDK declarations decide what is taggable: a resource with tags, one without, and a label-less GCP one.
                assert.deepStrictEqual(["aws:iam/role:Role", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                    "gcp:storage/bucket:Bucket", "gcp:serviceaccount/account:Account"].map(isTaggable), [true, false, true, false]);
                let checked = 0;
                for (const [key, cluster] of cloud) {
                    const name = resourceKey(key, cluster);
                    const provider = recorder.get(cluster.provider === "aws" ? "pulumi:providers:aws" : "pulumi:providers:gcp", `${name}-${cluster.provider}`);
                    const own = taggable.filter(r => providerOf(r, recorder.resources) === provider);
                    assert.ok(own.length > 0, `${key}: no taggable resources`);
                    for (const resource of own) {
                        assert.strictEqual(effectiveTags(resource, provider)[CLUSTER_TAG], name, `${resource.type} ${resource.name}`);
                        checked++;
                    }
                    const hubTagged = own.filter(r => HUB_TAG in effectiveTags(r, provider))
                        .map(r => `${r.type.split(":")[2]} ${effectiveTags(r, provider)[HUB_TAG]}`).sort();
                    const hubsHere = Object.entries(config.hubs).filter(([, hub]) => hub.cluster === key);
                    // GCP hub identities are service accounts, which take no labels.
                    const withHomes = hubsHere.filter(([, hub]) => hub.storage !== "none").map(([hubKey]) => hubKey);
                    const homeStorage = { efs: "AccessPoint", "nfs-server": cluster.provider === "aws" ? "Volume" : "Disk" }[cluster.homeStorage.type as string];
                    const expected = [
                        ...(cluster.provider === "aws" ? hubsHere.filter(([, hub]) => hub.cloudAccess).map(([hubKey]) => `Role ${hubKey}`) : []),
                        ...(homeStorage ? withHomes.map(hubKey => `${homeStorage} ${hubKey}`) : []),
                    ].sort();
                    assert.deepStrictEqual(hubTagged, expected, key);
                    if (cluster.provider !== "aws") continue;
                    // EKS copies no node group tag to the group's instances (aws/containers-roadmap#608): the Auto
                    // Scaling group EKS made for each group (as the mock reports it) carries the cluster tag to them.
                    const groups = own.filter(r => r.type === "aws:eks/nodeGroup:NodeGroup");
                    assert.ok(groups.length > 0, `${key}: no node groups`);
                    for (const group of groups) {
                        const { resources } = DEFAULT_OUTPUTS["aws:eks/nodeGroup:NodeGroup"](group.name, group.inputs) as { resources: { autoscalingGroups: { name: string }[] }[] };
                        const asg = resources[0].autoscalingGroups[0].name;
                        const propagated = recorder.ofType("aws:autoscaling/tag:Tag")
                            .filter(r => r.inputs.autoscalingGroupName === asg && r.inputs.tag.propagateAtLaunch && providerOf(r, recorder.resources) === provider);
                        assert.deepStrictEqual(propagated.map(r => r.inputs.tag), [{ key: CLUSTER_TAG, value: name, propagateAtLaunch: true }], group.name);
                    }
                }
                // Every taggable resource belongs to one of the clusters (OVH's S3 provider aside: see README).
                const ovhS3 = taggable.filter(r => providerOf(r, recorder.resources)?.inputs.endpoints);
                assert.strictEqual(checked + ovhS3.length, taggable.length);
                // OVH: none of the resource types the fleet creates takes tags (README, "Cost per cluster and per hub").
                const ovhTypes = [...new Set(recorder.resources.filter(r => r.type.startsWith("ovh:")).map(r => r.type))];
                assert.deepStrictEqual(ovhTypes.filter(declaresTagField), []);
                assert.ok(declaresTagField("ovh:CloudProject/storage:Storage"), "the check sees an OVH resource that does take tags");
            });

            it("runs Prometheus and Grafana on every cluster with monitoring: on the core pool, on a retaining class, scraping each hub, no anonymous admin", async () => {
                const { monitoringSettings } = await import("../components/config/operations");
                const { resourceKey } = await import("../components/fleet");
                const config = (await import("../components/config")).loadFleetConfig();
                for (const [key, cluster] of Object.entries(config.clusters)) {
                    const settings = monitoringSettings(cluster.provider, cluster.monitoring);
                    const name = `${resourceKey(key, cluster)}-monitoring`;
                    const releases = recorder.ofType("kubernetes:helm.sh/v3:Release").filter(r => r.name.startsWith(`${name}-`));
                    if (!settings) {
                        assert.deepStrictEqual(releases, [], key);
                        continue;
                    }
                    const prometheus = recorder.get("kubernetes:helm.sh/v3:Release", `${name}-prometheus`).inputs;
                    const grafana = recorder.get("kubernetes:helm.sh/v3:Release", `${name}-grafana`).inputs;
                    const storageClass = recorder.get("kubernetes:storage.k8s.io/v1:StorageClass", `${name}-storage-class`).inputs;
                    assert.strictEqual(storageClass.reclaimPolicy, "Retain");
                    // Volumes made by the CSI drivers escape the providers' default tags: the class tags them where it can.
                    if (cluster.provider === "aws") assert.strictEqual(storageClass.parameters.tagSpecification_1, `jupyterhub-fleet-cluster=${resourceKey(key, cluster)}`);
                    if (cluster.provider === "gcp") assert.strictEqual(storageClass.parameters.labels, `jupyterhub-fleet-cluster=${resourceKey(key, cluster)}`);
                    assert.deepStrictEqual([prometheus.values.server.persistentVolume.storageClass, grafana.values.persistence.storageClassName],
                        [storageClass.metadata.name, storageClass.metadata.name]);
                    assert.strictEqual(prometheus.values.server.retention, `${settings.retentionDays}d`);
                    for (const values of [prometheus.values.server, grafana.values]) {
                        assert.deepStrictEqual(values.nodeSelector, { "hub.jupyter.org/node-purpose": "core" });
                    }
                    assert.strictEqual(grafana.values["grafana.ini"]["auth.anonymous"].enabled, false);
                    assert.ok(!("adminPassword" in grafana.values) && grafana.values.admin.existingSecret, "the admin password comes from a Secret");
                    const hubs = Object.entries(config.hubs).filter(([, hub]) => hub.cluster === key).map(([hubKey, hub]) => resourceKey(hubKey, hub));
                    assert.deepStrictEqual(Object.keys(prometheus.values.scrapeConfigs).sort(), hubs.map(hub => `jupyterhub-${hub}`).sort());
                    for (const hub of hubs) {
                        // The hub's values hold secrets, so the mocks hand them over wrapped as one secret.
                        const values = unwrapSecret(recorder.get("kubernetes:helm.sh/v3:Release", `${hub}-release`).inputs.values).value;
                        assert.deepStrictEqual(values.hub.loadRoles["prometheus-metrics"], { scopes: ["read:metrics"], services: ["prometheus"] });
                        assert.ok(values.hub.services.prometheus.apiToken, hub);
                        assert.notStrictEqual(values.hub.config?.JupyterHub?.authenticate_prometheus, false, hub);
                    }
                }
            });

            it("budgets every AWS and GCP cluster that sets one, on its cluster tag or label", async () => {
                const { resourceKey } = await import("../components/fleet");
                const config = (await import("../components/config")).loadFleetConfig();
                for (const [key, cluster] of Object.entries(config.clusters)) {
                    const name = resourceKey(key, cluster);
                    const type = cluster.provider === "aws" ? "aws:budgets/budget:Budget" : "gcp:billing/budget:Budget";
                    const budgets = recorder.ofType(type).filter(r => r.name === `${name}-budget`);
                    assert.strictEqual(budgets.length, cluster.budget && (cluster.provider === "aws" || cluster.provider === "gcp") ? 1 : 0, key);
                    if (budgets.length === 0) continue;
                    const inputs = budgets[0].inputs;
                    if (cluster.provider === "aws") {
                        assert.deepStrictEqual(inputs.costFilters, [{ name: "TagKeyValue", values: [`user:jupyterhub-fleet-cluster$${name}`] }]);
                        assert.deepStrictEqual(inputs.notifications.map((n: any) => n.threshold), [...cluster.budget!.thresholds].sort((a, b) => a - b));
                    } else {
                        assert.deepStrictEqual(inputs.budgetFilter.labels, { "jupyterhub-fleet-cluster": name });
                        assert.strictEqual(inputs.allUpdatesRule.monitoringNotificationChannels.length, cluster.budget!.notify.length);
                    }
                }
            });

            it("annotates user-sa with an identity for every hub with cloudAccess", async () => {
                for (const [key, hub] of Object.entries(fleet.outputs.hubs)) {
                    const spec = (await import("../components/config")).loadFleetConfig().hubs[key];
                    const annotations = await valueOf(hub.serviceAccountAnnotations);
                    if (spec.cloudAccess) {
                        const identity = await valueOf(hub.identity);
                        assert.ok(identity, `hub ${key} has cloudAccess but no identity`);
                        assert.ok(Object.values(annotations).includes(identity!), `hub ${key}: ${JSON.stringify(annotations)}`);
                    }
                }
            });
        });
    }
});

describe("a stack with config errors", () => {
    it("throws one error listing every problem and registers no resource", async () => {
        const raw = awsFleet() as Record<string, any>;
        raw.hubs.staging.cluster = "uw3";
        raw.clusters.uw2.regoin = "x";
        // A top-level typo set with `pulumi config set jupyterhub-fleet:hubDefault …`, and another namespace's key.
        const recorder = useMocks({
            stack: "staging", secretKeys: ["hubSecrets"],
            config: { ...raw, hubDefault: "{\"image\":{}}", "aws:region": "us-west-2" },
        });
        const { loadFleetConfig } = await import("../components/config");
        assert.throws(() => loadFleetConfig(), (error: unknown) => {
            assert.ok(error instanceof FleetConfigError);
            assert.strictEqual(error.problems.length, 3);
            assert.match(error.message, /^Pulumi\.staging\.yaml: 3 configuration problems/);
            assert.ok(error.problems.includes("hubDefault: unknown config key jupyterhub-fleet:hubDefault (did you mean hubDefaults?)"),
                error.problems.join("\n"));
            return true;
        });
        assert.strictEqual(recorder.resources.length, 0);
    });
});

describe("a hub without cloudAccess on AWS", () => {
    it("reaches no bucket, so its bucketUrls output lists none", async () => {
        const raw = awsFleet() as Record<string, any>;
        delete raw.hubs.staging.cloudAccess;
        raw.hubs.staging.bucketEnv = {};
        useMocks({ stack: "staging", secretKeys: ["hubSecrets"], config: raw });
        const { loadFleetConfig } = await import("../components/config");
        const { deployFleet } = await import("../components/fleet");
        const fleet = deployFleet(loadFleetConfig());
        assert.ok(Object.keys(loadFleetConfig().clusters.uw2.buckets).length > 0);
        assert.deepStrictEqual(await valueOf(fleet.outputs.hubs.staging.bucketUrls), {});
    });
});

describe("monitoring on an existing cluster", () => {
    it("keeps its data on the operator's class, read from the cluster, and makes no class of its own", async () => {
        const raw = awsFleet() as Record<string, any>;
        raw.clusters = { lab: { provider: "kubernetes", context: "lab", homeStorage: { type: "nfs", server: "nfs.example.org", path: "/homes" },
            monitoring: { storageClass: "retained-ssd" } } };
        raw.hubs.staging.cluster = "lab";
        delete raw.hubs.staging.cloudAccess;
        raw.hubs.staging.bucketEnv = {};
        const recorder = useMocks({ stack: "staging", secretKeys: ["hubSecrets"], config: raw });
        const { loadFleetConfig } = await import("../components/config");
        const { deployFleet } = await import("../components/fleet");
        const fleet = deployFleet(loadFleetConfig());
        await settleFleet(fleet);
        const classes = recorder.ofType("kubernetes:storage.k8s.io/v1:StorageClass");
        assert.deepStrictEqual(classes.map(c => [c.name, c.readId]), [["lab-monitoring-storage-class", "retained-ssd"]]);
        const prometheus = recorder.get("kubernetes:helm.sh/v3:Release", "lab-monitoring-prometheus").inputs;
        assert.strictEqual(prometheus.values.server.persistentVolume.storageClass, "retained-ssd");
    });
});
