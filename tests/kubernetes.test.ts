/**
 * Existing clusters: the KubernetesCluster platform under mocks (provider per kubeconfig source, OpenShift
 * SCC, NFS homes and mounts, S3-compatible storage), the config rules that guard it, and the stack files and
 * snippets operators copy (Pulumi.local.yaml, docs/existing-clusters.md).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import type * as pulumi from "@pulumi/pulumi";
import type { KubernetesCluster as KubernetesClusterType } from "../components/kubernetes/cluster";
import type { MountedHomeVolume } from "../components/hub";
import {
    FleetConfig, FleetConfigError, KubernetesClusterSpec, parseFleetConfig, RawFleetConfig,
} from "../components/config";
import { parseStackFile, readStackFile } from "../scripts/stackConfig";
import { isPlainObject } from "../components/util";
import { composeSecretValues, composeValues, HomeValues } from "../components/z2jhValues";
import { hubAuthHooks } from "../components/hooks/hubHooks";
import { assertChartAccepts as chartAccepts, CHART_DEFAULTS } from "./chartSchema";
import { MockRecorder, OptionsRecorder, isSecret, settle, settledValueOf, unwrapSecret, useMocks, valueOf } from "./harness";
import { stripSecrets } from "../scripts/engineModel/helmRelease";
import { chartServiceAccounts, NONROOT_V2_CLUSTER_ROLE } from "../components/kubernetes/scc";
import { OPENSHIFT_DNS_EGRESS, privateEndpoint, userEgressRules } from "../components/kubernetes/userEgress";
import { HOME_DIRECTORY_HOOK_KEY } from "../components/hooks/homeDirectory";

const ROOT = path.join(__dirname, "..");
const PROVIDER = "pulumi:providers:kubernetes";
const SCC = "kubernetes:security.openshift.io/v1:SecurityContextConstraints";
const BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding";
const RELEASE = "kubernetes:helm.sh/v3:Release";
/** The chart's service accounts for a release whose name does not contain "jupyterhub", with its default values. */
const CHART_ACCOUNTS = ["autohttps", "continuous-image-puller", "default", "hook-image-awaiter", "hook-image-puller", "hub", "user-scheduler"];

/** A kubeconfig with the given contexts, the first current. */
function kubeconfig(...contexts: string[]): string {
    return [
        "apiVersion: v1", "kind: Config", `current-context: ${contexts[0]}`,
        `clusters: [${contexts.map(c => `{name: ${c}, cluster: {server: 'https://${c}.example.org:6443'}}`).join(", ")}]`,
        `contexts: [${contexts.map(c => `{name: ${c}, context: {cluster: ${c}, user: ${c}}}`).join(", ")}]`,
        `users: [${contexts.map(c => `{name: ${c}, user: {token: token-${c}}}`).join(", ")}]`,
    ].join("\n");
}

/** Three existing clusters, one per kubeconfig source: Valeria-like (secret kubeconfig), a lab (context), a laptop. */
function existingFleet(): RawFleetConfig & { clusters: any; hubs: any; hubSecrets: any; clusterSecrets: any } {
    return {
        clusters: {
            valeria: {
                provider: "kubernetes", context: "valeria-admin", openshift: true,
                homeStorage: { type: "nfs", server: "nfs.valeria.example.org", path: "/export/homes" },
                extraMounts: [{ name: "scratch", server: "nfs.valeria.example.org", path: "/export/scratch", mountPath: "/scratch" }],
                s3Endpoint: "https://s3.valeria.example.org",
                // The S3 gateway's address: its hostname resolves only in the cluster.
                privateEgress: ["192.168.40.10/32"],
                buckets: { datalake: { name: "valeria-datalake" }, shared: {} },
            },
            lab: { provider: "kubernetes", context: "lab-admin", homeStorage: { type: "dynamic", storageClass: "ceph-rbd", size: "20Gi" } },
            laptop: { provider: "kubernetes", local: true, homeStorage: { type: "dynamic", size: "1Gi" } },
            scratch: {
                provider: "kubernetes", context: "scratch", homeStorage: { type: "dynamic", storageClass: "standard", size: "5Gi" },
                s3Endpoint: "http://10.20.0.5:7480",
            },
        },
        hubs: {
            valeria: {
                cluster: "valeria",
                auth: {
                    type: "oidc", clientId: "jupyterhub", allowedGroups: ["valeria-users"],
                    authorizeUrl: "https://sso.valeria.example.org/realms/valeria/protocol/openid-connect/auth",
                    tokenUrl: "https://sso.valeria.example.org/realms/valeria/protocol/openid-connect/token",
                    userdataUrl: "https://sso.valeria.example.org/realms/valeria/protocol/openid-connect/userinfo",
                },
                userSecrets: { vault: { address: "https://vault.valeria.example.org", role: "valeria", mount: "valeria", path: "users/{username}/s3" } },
                bucketEnv: { DATALAKE_BUCKET: "datalake" },
            },
            teaching: {
                cluster: "valeria",
                auth: { type: "github", clientId: "Iv1.teaching", allowedOrganizations: ["ulaval-teaching"] },
            },
            lab: { cluster: "lab", auth: { type: "github", clientId: "Iv1.lab", allowedUsers: ["alice"] } },
            laptop: { cluster: "laptop", auth: { type: "dummy", adminUsers: ["admin"] } },
            scratch: { cluster: "scratch", auth: { type: "github", clientId: "Iv1.scratch", allowedUsers: ["bob"] } },
        },
        hubSecrets: {
            valeria: { auth: { clientSecret: "keycloak-secret" } },
            teaching: { auth: { clientSecret: "gh-secret" } },
            lab: { auth: { clientSecret: "gh-secret" } },
            scratch: { auth: { clientSecret: "gh-secret" } },
        },
        clusterSecrets: { valeria: { kubeconfig: kubeconfig("valeria-admin", "valeria-readonly") } },
    };
}

function parse(raw: RawFleetConfig, stack = "onprem"): FleetConfig {
    return parseFleetConfig(raw, { stack, secretKeys: ["hubSecrets", "clusterSecrets"] });
}

function problemsOf(raw: RawFleetConfig): string[] {
    try {
        parse(raw);
    } catch (error) {
        assert.ok(error instanceof FleetConfigError, `expected FleetConfigError, got ${error}`);
        return [...error.problems];
    }
    return [];
}

function expectProblem(problems: string[], pattern: RegExp): void {
    assert.ok(problems.some(p => pattern.test(p)), `no problem matches ${pattern}; got:\n${problems.join("\n")}`);
}

describe("existing Kubernetes clusters", () => {
    let recorder: MockRecorder;
    const clusters: Record<string, KubernetesClusterType> = {};
    const secretKubeconfig = kubeconfig("valeria-admin", "valeria-readonly");
    const options = new OptionsRecorder();

    before(async () => {
        recorder = useMocks({
            stack: "onprem",
            // The operator's class on cluster "scratch" deletes volumes with their claims, as most defaults do.
            outputs: { "kubernetes:storage.k8s.io/v1:StorageClass": name => ({ reclaimPolicy: name.startsWith("scratch-") ? "Delete" : "Retain" }) },
        });
        const pulumi = await import("@pulumi/pulumi");
        const { KubernetesCluster } = await import("../components/kubernetes/cluster");
        const fleet = parse(existingFleet());
        for (const key of ["valeria", "lab", "laptop", "scratch"]) {
            const hubs = Object.fromEntries(Object.entries(fleet.hubs).filter(([, hub]) => hub.cluster === key));
            const secret = fleet.clusterSecrets[key]?.kubeconfig;
            clusters[key] = new KubernetesCluster(key, {
                cluster: fleet.clusters[key] as KubernetesClusterSpec, hubs,
                kubeconfig: secret === undefined ? undefined : pulumi.secret(secret),
            }, { transformations: [options.transformation] });
        }
        // The OpenShift hubs themselves, to see what their releases get from the platform.
        const { Hub } = await import("../components/hub");
        for (const hubKey of ["valeria", "teaching"]) {
            const hub = new Hub(hubKey, { hubKey, hub: fleet.hubs[hubKey], secrets: fleet.hubSecrets[hubKey], platform: clusters.valeria },
                { transformations: [options.transformation] });
            await valueOf(hub.release.status);
        }
        await settle();
    });

    const releaseValues = (hubKey: string): any => stripSecrets(recorder.get(RELEASE, `${hubKey}-release`).wireInputs.values);

    it("builds the provider from the secret kubeconfig and its context, keeping the kubeconfig secret", async () => {
        const provider = recorder.get(PROVIDER, "valeria-k8s").inputs;
        assert.deepStrictEqual(unwrapSecret(provider.kubeconfig), { secret: true, value: secretKubeconfig });
        assert.strictEqual(provider.context, "valeria-admin");
        assert.strictEqual(await valueOf(clusters.valeria.kubeconfig), secretKubeconfig);
        assert.ok(await isSecret(clusters.valeria.kubeconfig));
    });

    it("uses a named context, or the current context, of the operator's kubeconfig without copying it into the stack", async () => {
        const lab = recorder.get(PROVIDER, "lab-k8s").inputs;
        const laptop = recorder.get(PROVIDER, "laptop-k8s").inputs;
        assert.strictEqual(lab.context, "lab-admin");
        assert.strictEqual(laptop.context, undefined);
        // The SDK passes $KUBECONFIG through when set: a path for the provider to read, never the file's contents.
        assert.strictEqual(lab.kubeconfig, process.env.KUBECONFIG);
        assert.strictEqual(laptop.kubeconfig, process.env.KUBECONFIG);
        for (const key of ["lab", "laptop"]) {
            const note = await valueOf(clusters[key].kubeconfig);
            assert.ok(await isSecret(clusters[key].kubeconfig));
            assert.strictEqual(parseYaml(note), null, "the note is a YAML comment, not a kubeconfig");
            assert.match(note, key === "lab" ? /operator's own kubeconfig \(context lab-admin\)/ : /operator's own kubeconfig \(its current context\)/);
        }
    });

    it("sets clusterIdentifier from the cluster key and context, so rotated credentials do not replace resources", () => {
        assert.strictEqual(recorder.get(PROVIDER, "valeria-k8s").inputs.clusterIdentifier, "kubernetes/valeria/valeria-admin");
        assert.strictEqual(recorder.get(PROVIDER, "lab-k8s").inputs.clusterIdentifier, "kubernetes/lab/lab-admin");
        assert.strictEqual(recorder.get(PROVIDER, "laptop-k8s").inputs.clusterIdentifier, "kubernetes/laptop/current-context");
    });

    it("gives each OpenShift hub an SCC for its user-sa only: non-root uid, NFS volumes, no escalation, no capabilities", () => {
        assert.deepStrictEqual(recorder.ofType(SCC).map(r => r.name).sort(), ["valeria-scc-teaching", "valeria-scc-valeria"]);
        const teaching = recorder.get(SCC, "valeria-scc-teaching");
        assert.match(teaching.provider ?? "", /::valeria-k8s::/, "created through the cluster's provider");
        const scc = teaching.inputs;
        assert.strictEqual(scc.apiVersion, "security.openshift.io/v1");
        assert.strictEqual(scc.metadata.name, "teaching-user");
        assert.strictEqual(scc.metadata.namespace, undefined, "SCCs are cluster-scoped");
        assert.deepStrictEqual(scc.users, ["system:serviceaccount:teaching:user-sa"]);
        assert.deepStrictEqual(scc.groups, []);
        assert.deepStrictEqual(scc.runAsUser, { type: "MustRunAsRange", uidRangeMin: 1000, uidRangeMax: 1000 });
        assert.deepStrictEqual(scc.fsGroup, { type: "MustRunAs", ranges: [{ min: 100, max: 100 }] });
        assert.deepStrictEqual([...scc.volumes].sort(),
            ["configMap", "downwardAPI", "emptyDir", "nfs", "persistentVolumeClaim", "projected", "secret"]);
        assert.ok(!scc.volumes.includes("hostPath") && !scc.volumes.includes("*"));
        assert.strictEqual(scc.allowPrivilegeEscalation, false);
        assert.strictEqual(scc.allowPrivilegedContainer, false);
        assert.deepStrictEqual(scc.requiredDropCapabilities, ["ALL"]);
        assert.deepStrictEqual(scc.allowedCapabilities, []);
        assert.strictEqual(scc.allowHostDirVolumePlugin, false);
        assert.strictEqual(scc.allowHostNetwork, false);
    });

    it("lets a hub with Vault uids run any non-system uid, which the hub, not the user, picks", () => {
        const scc = recorder.get(SCC, "valeria-scc-valeria").inputs;
        assert.deepStrictEqual(scc.users, ["system:serviceaccount:valeria:user-sa"]);
        assert.deepStrictEqual(scc.runAsUser, { type: "MustRunAsRange", uidRangeMin: 1000, uidRangeMax: 2147483647 });
    });

    it("runs OpenShift hubs' users as the SCC's uid/gid and makes the release wait for the SCC and the chart's binding", () => {
        const access = clusters.valeria.hubAccess("teaching");
        assert.deepStrictEqual(access.userSecurity, { uid: 1000, gid: 100, fsGid: 100 });
        assert.deepStrictEqual(access.dependsOn,
            [clusters.valeria.securityContextConstraints.teaching, clusters.valeria.chartSccBindings.teaching]);
        const releaseDependsOn = options.of(RELEASE, "teaching-release").dependsOn as unknown[];
        assert.ok(releaseDependsOn.includes(clusters.valeria.chartSccBindings.teaching), "the first install waits for the binding");
        const lab = clusters.lab.hubAccess("lab");
        assert.strictEqual(lab.userSecurity, undefined);
        assert.deepStrictEqual(lab.dependsOn, []);
        assert.strictEqual(recorder.ofType(SCC).filter(r => r.name.startsWith("lab-") || r.name.startsWith("laptop-")).length, 0);
    });

    it("binds the chart's own service accounts to nonroot-v2 before the release, on OpenShift only", () => {
        assert.deepStrictEqual(recorder.ofType(BINDING).map(r => r.name).sort(), ["valeria-chart-scc-teaching", "valeria-chart-scc-valeria"]);
        const binding = recorder.get(BINDING, "valeria-chart-scc-teaching");
        assert.match(binding.provider ?? "", /::valeria-k8s::/);
        assert.strictEqual(binding.inputs.metadata.name, "teaching-chart-nonroot-v2");
        assert.strictEqual(binding.inputs.metadata.namespace, undefined, "a ClusterRoleBinding needs no namespace, so it exists before the hub's");
        assert.deepStrictEqual(binding.inputs.roleRef,
            { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:openshift:scc:nonroot-v2" });
        assert.deepStrictEqual(binding.inputs.subjects, CHART_ACCOUNTS.map(name => ({ kind: "ServiceAccount", name, namespace: "teaching" })));
        assert.ok(!binding.inputs.subjects.some((s: any) => s.name === "user-sa"), "user servers keep their own, narrower SCC");
    });

    it("names the chart's service accounts as its templates derive them from the release name and values", () => {
        assert.strictEqual(NONROOT_V2_CLUSTER_ROLE, "system:openshift:scc:nonroot-v2");
        assert.deepStrictEqual(chartServiceAccounts("teaching", {}), CHART_ACCOUNTS);
        // _helpers-names.tpl `jupyterhub.fullname`: a string fullnameOverride is the prefix; null falls back to the
        // release name, plus "-jupyterhub" unless the release name contains it.
        assert.deepStrictEqual(chartServiceAccounts("teaching", { fullnameOverride: "jh" }),
            ["default", "jh-autohttps", "jh-continuous-image-puller", "jh-hook-image-awaiter", "jh-hook-image-puller", "jh-hub", "jh-user-scheduler"]);
        assert.ok(chartServiceAccounts("teaching", { fullnameOverride: null }).includes("teaching-jupyterhub-hub"));
        assert.ok(chartServiceAccounts("jupyterhub-teaching", { fullnameOverride: null }).includes("jupyterhub-teaching-hub"));
        assert.ok(chartServiceAccounts("teaching", { fullnameOverride: null, nameOverride: "jh" }).includes("teaching-jh-hub"));
        // serviceAccount.name wins; create: false without a name leaves the pod on `default`.
        const named = chartServiceAccounts("teaching", {
            hub: { serviceAccount: { name: "hub-runner" } }, scheduling: { userScheduler: { serviceAccount: { create: false } } },
            prePuller: { continuous: { serviceAccount: { name: "puller" } } },
        });
        assert.deepStrictEqual(named, ["autohttps", "default", "hook-image-awaiter", "hook-image-puller", "hub-runner", "puller"]);
    });

    it("grants nonroot-v2 to pods it admits: the chart's fixed non-root uids, no escalation, no capabilities", () => {
        // nonroot-v2 (cluster-kube-apiserver-operator …_00_scc-nonroot-v2.yaml): runAsUser MustRunAsNonRoot, fsGroup
        // and supplementalGroups RunAsAny, requiredDropCapabilities ALL, allowPrivilegeEscalation false,
        // seccompProfiles runtime/default. restricted-v2 (…_00_scc-restricted-v2.yaml) takes the uid and fsGroup
        // from the namespace's range, so the chart's fixed ones are refused there.
        const chart = CHART_DEFAULTS as any;
        const contexts: Record<string, any> = {
            hub: chart.hub.containerSecurityContext, chp: chart.proxy.chp.containerSecurityContext,
            traefik: chart.proxy.traefik.containerSecurityContext, secretSync: chart.proxy.secretSync.containerSecurityContext,
            userScheduler: chart.scheduling.userScheduler.containerSecurityContext,
            userPlaceholder: chart.scheduling.userPlaceholder.containerSecurityContext,
            imageAwaiter: chart.prePuller.hook.containerSecurityContext, imagePuller: chart.prePuller.containerSecurityContext,
            pause: chart.prePuller.pause.containerSecurityContext,
        };
        for (const [component, context] of Object.entries(contexts)) {
            assert.ok(Number.isInteger(context.runAsUser) && context.runAsUser > 0, `${component} runs as a fixed non-root uid`);
            assert.strictEqual(context.allowPrivilegeEscalation, false, component);
            assert.deepStrictEqual(context.capabilities, { drop: ["ALL"] }, component);
            assert.ok([undefined, "RuntimeDefault"].includes(context.seccompProfile?.type), component);
        }
        assert.strictEqual(chart.hub.podSecurityContext.fsGroup, 1000, "a fixed fsGroup, which restricted-v2 refuses too");
    });

    it("lets OpenShift users resolve names through openshift-dns on 5353, and reach private services the config names", () => {
        const valeria = releaseValues("valeria").singleuser.networkPolicy;
        assert.deepStrictEqual(valeria.egress, [
            {
                to: [{
                    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "openshift-dns" } },
                    podSelector: { matchLabels: { "dns.operator.openshift.io/daemonset-dns": "default" } },
                }],
                ports: [{ port: 5353, protocol: "UDP" }, { port: 5353, protocol: "TCP" }],
            },
            { to: [{ ipBlock: { cidr: "192.168.40.10/32" } }] },
        ]);
        // z2jh's own rules stay: private addresses closed but for these, DNS on 53 still allowed.
        assert.deepStrictEqual(valeria.egressAllowRules, { cloudMetadataServer: false });
        assert.deepStrictEqual(clusters.valeria.hubAccess("teaching").userEgress, valeria.egress);
        // An S3 endpoint at a private IP is allowed on its port; no DNS rule off OpenShift.
        assert.deepStrictEqual(clusters.scratch.hubAccess("scratch").userEgress,
            [{ to: [{ ipBlock: { cidr: "10.20.0.5/32" } }], ports: [{ port: 7480, protocol: "TCP" }] }]);
        assert.deepStrictEqual(clusters.lab.hubAccess("lab").userEgress, []);
    });

    it("keeps the hub's egress to private addresses (Vault, the identity provider) as the chart has it", () => {
        const chart = CHART_DEFAULTS as any;
        assert.strictEqual(chart.hub.networkPolicy.egressAllowRules.privateIPs, true);
        assert.strictEqual(chart.singleuser.networkPolicy.egressAllowRules.privateIPs, false, "users are the ones closed off");
        assert.strictEqual(releaseValues("valeria").hub.networkPolicy.egressAllowRules.privateIPs, undefined, "not overridden");
    });

    it("creates new NFS homes as their user through a spawn hook, with no root init container", async () => {
        const { homeValues } = await import("../components/hub");
        for (const hubKey of ["valeria", "teaching"]) {
            const values = releaseValues(hubKey);
            assert.strictEqual(values.singleuser.initContainers, undefined, `${hubKey}: no root chown container`);
            assert.strictEqual(values.singleuser.storage.static.subPath, `${hubKey}/{escaped_username}`);
            assert.ok(values.hub.extraConfig[HOME_DIRECTORY_HOOK_KEY].includes("fleet_spawn_hooks.append(fleet_home_directory)"));
            assert.ok(values.hub.extraConfig["00-fleet-spawn-hooks"], "the runner that calls it");
        }
        assert.ok(releaseValues("valeria").hub.extraConfig[HOME_DIRECTORY_HOOK_KEY].includes("/export/homes/$HUB_DIRECTORY on nfs.valeria.example.org"));
        assert.deepStrictEqual(clusters.lab.hubAccess("lab").hubExtraConfig, {}, "dynamic homes are created by their storage class");
        // Off OpenShift too (no userSecurity there): root_squash exports refuse a root chown.
        assert.strictEqual((homeValues(clusters.valeria.homeVolume("teaching") as MountedHomeVolume, false) as { fixOwnership: boolean }).fixOwnership, false);
    });

    it("gives OpenShift hubs release values the chart accepts", () => {
        for (const hubKey of ["valeria", "teaching"]) chartAccepts(`${hubKey}'s release values`, releaseValues(hubKey));
    });

    it("serves homes from the NFS export, one directory per hub, and mounts extraMounts in every user server", () => {
        assert.deepStrictEqual(clusters.valeria.homeVolume("valeria"), {
            kind: "nfs", server: "nfs.valeria.example.org", path: "/export/homes", hubDirectory: "valeria", createsUserDirectories: true,
        });
        assert.deepStrictEqual(clusters.valeria.homeVolume("teaching"), {
            kind: "nfs", server: "nfs.valeria.example.org", path: "/export/homes", hubDirectory: "teaching", createsUserDirectories: true,
        });
        assert.deepStrictEqual(clusters.valeria.hubAccess("valeria").userVolumes, [
            { name: "scratch", server: "nfs.valeria.example.org", path: "/export/scratch", mountPath: "/scratch", readOnly: false },
        ]);
        assert.deepStrictEqual(clusters.lab.hubAccess("lab").userVolumes, []);
    });

    it("gives dynamic homes the configured storage class once it is read to retain, or a laptop's default", async () => {
        const lab = clusters.lab.homeVolume("lab");
        assert.deepStrictEqual([lab.kind, lab.kind === "dynamic" && await valueOf(lab.storageClass!), (lab as { capacity: string }).capacity],
            ["dynamic", "ceph-rbd", "20Gi"]);
        assert.ok(recorder.get("kubernetes:storage.k8s.io/v1:StorageClass", "lab-home-storage-class").provider?.includes("::lab-k8s::"));
        assert.deepStrictEqual(clusters.laptop.homeVolume("laptop"), { kind: "dynamic", storageClass: undefined, capacity: "1Gi" });
        assert.throws(() => clusters.lab.homeVolume("valeria"), /hub valeria does not run on cluster lab \(its hubs: lab\)/);
    });

    it("refuses a named storage class that would delete a user's volume with its claim", async () => {
        const { HOME_VOLUMES, retainProblem } = await import("../components/homeStorageClass");
        assert.strictEqual(retainProblem("ceph-rbd", "Retain", HOME_VOLUMES), undefined);
        assert.strictEqual(retainProblem("standard", undefined, HOME_VOLUMES), "storage class standard has reclaimPolicy Delete, so a user's home " +
            "volume would be deleted with its claim: name a class with reclaimPolicy: Retain in homeStorage.storageClass, or remove " +
            "storageClass to use the retaining class the fleet creates (where the platform has one)");
        assert.match(retainProblem("csi-cinder-high-speed", "Delete", HOME_VOLUMES)!, /^storage class csi-cinder-high-speed has reclaimPolicy Delete/);
        const scratch = clusters.scratch.homeVolume("scratch");
        assert.strictEqual(scratch.kind, "dynamic");
        await assert.rejects(settledValueOf((scratch as { storageClass: pulumi.Input<string> }).storageClass),
            /^Error: storage class standard has reclaimPolicy Delete, so a user's home volume would be deleted with its claim/);
    });

    it("refuses a monitoring class that would delete Prometheus' and Grafana's volumes, naming monitoring.storageClass", async () => {
        const { MONITORING_VOLUMES, retainProblem } = await import("../components/homeStorageClass");
        assert.strictEqual(retainProblem("standard", "Delete", MONITORING_VOLUMES), "storage class standard has reclaimPolicy Delete, so " +
            "Prometheus' metrics or Grafana's database would be deleted with its claim: name a class with reclaimPolicy: Retain in monitoring.storageClass");
        // The class Prometheus and Grafana get on an existing cluster whose named class deletes (the mocks' "scratch-" reads).
        const { monitoringStorageClass } = await import("../components/monitoring");
        const { monitoringSettings } = await import("../components/config/operations");
        const storageClass = monitoringStorageClass("scratch-monitoring",
            { clusterKey: "scratch", settings: monitoringSettings("kubernetes", { storageClass: "standard" })! }, { provider: clusters.scratch.kubeProvider });
        await assert.rejects(settledValueOf(storageClass),
            { message: retainProblem("standard", "Delete", MONITORING_VOLUMES) });
    });

    it("requires a named storage class for dynamic homes on a cluster that is not a laptop", () => {
        const fleet = existingFleet() as any;
        delete fleet.clusters.lab.homeStorage.storageClass;
        expectProblem(problemsOf(fleet), /^clusters\.lab\.homeStorage\.storageClass: dynamic homes on an existing cluster need a named storage class \(name one whose reclaimPolicy is Retain/);
    });

    it("points users at the S3-compatible endpoint and the existing buckets", async () => {
        const env = clusters.valeria.hubAccess("valeria").env;
        assert.deepStrictEqual(Object.keys(env).sort(), ["AWS_ENDPOINT_URL_S3", "AWS_REQUEST_CHECKSUM_CALCULATION", "DATALAKE_BUCKET"]);
        assert.strictEqual(env.AWS_ENDPOINT_URL_S3, "https://s3.valeria.example.org");
        assert.strictEqual(env.AWS_REQUEST_CHECKSUM_CALCULATION, "WHEN_REQUIRED");
        assert.strictEqual(await valueOf(env.DATALAKE_BUCKET), "s3://valeria-datalake/$(JUPYTERHUB_USER)");
        assert.deepStrictEqual(clusters.lab.hubAccess("lab").env, {});
        // OpenShift refuses the chart's root iptables init container: the network policy alone blocks metadata.
        assert.strictEqual(clusters.valeria.hubAccess("valeria").cloudMetadata, "network-policy");
        assert.strictEqual(clusters.lab.hubAccess("lab").cloudMetadata, "block");
    });

    it("names existing buckets as configured (no cluster prefix) with s3:// URLs, and creates none", async () => {
        assert.strictEqual(await valueOf(clusters.valeria.buckets.datalake.name), "valeria-datalake");
        assert.strictEqual(await valueOf(clusters.valeria.buckets.datalake.url), "s3://valeria-datalake");
        assert.strictEqual(await valueOf(clusters.valeria.buckets.shared.url), "s3://shared");
        assert.deepStrictEqual(recorder.resources.map(r => r.type).filter(t => /bucket/i.test(t)), []);
    });

    it("marks only the laptop cluster local", () => {
        assert.deepStrictEqual(["valeria", "lab", "laptop"].map(k => clusters[k].isLocal), [false, false, true]);
        assert.strictEqual(clusters.valeria.providerName, "kubernetes");
    });
});

describe("existing Kubernetes clusters: config errors", () => {
    it("accepts the fixture fleet", () => {
        assert.deepStrictEqual(problemsOf(existingFleet()), []);
    });

    it("reports a kubeconfig that does not parse, with the command to set the whole file", () => {
        const fleet = existingFleet();
        fleet.clusterSecrets.valeria.kubeconfig = "clusters: [unclosed";
        expectProblem(problemsOf(fleet),
            /^clusterSecrets\.valeria\.kubeconfig: does not parse as YAML .*pulumi config set --secret --path 'clusterSecrets\.valeria\.kubeconfig' < kubeconfig\.yaml/);
        fleet.clusterSecrets.valeria.kubeconfig = "just a token";
        expectProblem(problemsOf(fleet), /^clusterSecrets\.valeria\.kubeconfig: is not a kubeconfig \(no clusters or contexts list\)/);
    });

    it("reports a context that is not in the kubeconfig, listing those that are", () => {
        const fleet = existingFleet();
        fleet.clusters.valeria.context = "valeria-adm";
        expectProblem(problemsOf(fleet),
            /^clusters\.valeria\.context: context "valeria-adm" is not in clusterSecrets\.valeria\.kubeconfig \(use one of: valeria-admin, valeria-readonly\)/);
    });

    it("reports NFS home storage without a server", () => {
        const fleet = existingFleet();
        delete fleet.clusters.valeria.homeStorage.server;
        expectProblem(problemsOf(fleet), /^clusters\.valeria\.homeStorage\.server: missing required field/);
    });

    it("reports oidc auth without its endpoints", () => {
        const fleet = existingFleet();
        delete fleet.hubs.valeria.auth.tokenUrl;
        delete fleet.hubs.valeria.auth.userdataUrl;
        const problems = problemsOf(fleet);
        expectProblem(problems, /^hubs\.valeria\.auth\.tokenUrl: missing required field/);
        expectProblem(problems, /^hubs\.valeria\.auth\.userdataUrl: missing required field/);
    });

    it("refuses dummy auth on a cluster not marked local", () => {
        const fleet = existingFleet();
        fleet.hubs.lab.auth = { type: "dummy" };
        delete fleet.hubSecrets.lab;
        expectProblem(problemsOf(fleet),
            /^hubs\.lab\.auth\.type: dummy auth lets anyone log in .*allowed only on a local cluster \(.*clusters\.lab\.local: true\)/);
    });

    it("refuses privateEgress entries that are not CIDR blocks", () => {
        const fleet = existingFleet();
        fleet.clusters.valeria.privateEgress = ["192.168.40.10", "10.0.0.0/33", "fd00::/64", "s3.valeria.example.org/32"];
        const problems = problemsOf(fleet);
        for (const index of [0, 1, 3]) {
            expectProblem(problems, new RegExp(`^clusters\\.valeria\\.privateEgress\\[${index}\\]: .* must be a CIDR block such as 10\\.20\\.0\\.0/24`));
        }
        assert.ok(!problems.some(p => p.startsWith("clusters.valeria.privateEgress[2]")), "IPv6 blocks are fine");
    });

    it("refuses a Vault path without {username}", () => {
        const fleet = existingFleet();
        fleet.hubs.valeria.userSecrets.vault.path = "users/shared/s3";
        expectProblem(problemsOf(fleet),
            /^hubs\.valeria\.userSecrets\.vault\.path: has no \{username\}, so every user would get the same secret \(write it like users\/\{username\}\/s3\)/);
    });
});

describe("Pulumi.local.yaml", () => {
    it("validates: a local kubernetes cluster on the current context and a dummy-auth hub reached by port-forward", () => {
        const { config, secretKeys, securePaths } = readStackFile("local", ROOT);
        const raw = Object.fromEntries(Object.entries(config).map(([key, value]) => [key.replace(/^jupyterhub-fleet:/, ""), JSON.parse(value)]));
        const fleet = parseFleetConfig(raw, { stack: "local", secretKeys: secretKeys.map(k => k.replace(/^jupyterhub-fleet:/, "")) });
        assert.deepStrictEqual(securePaths, []);
        const cluster = fleet.clusters.local as KubernetesClusterSpec;
        assert.strictEqual(cluster.provider, "kubernetes");
        assert.strictEqual(cluster.local, true);
        assert.strictEqual(cluster.context, undefined);
        assert.deepStrictEqual(cluster.homeStorage, { type: "dynamic", size: "1Gi" });
        const hub = fleet.hubs.local;
        assert.strictEqual(hub.domain, undefined);
        assert.deepStrictEqual(hub.auth, { type: "dummy", adminUsers: ["admin"], allowAll: true });
        const values = hub.values as any;
        assert.strictEqual(values.proxy.service.type, "ClusterIP");
        assert.strictEqual(values.prePuller.hook.enabled, false);
        assert.strictEqual(values.scheduling.userScheduler.enabled, false);
        assert.strictEqual(values.cull.enabled, true);
    });
});

/** Sets `value` at a dotted `pulumi config set --path` path inside `root`. */
function setPath(root: Record<string, any>, dotted: string, value: string): void {
    const parts = dotted.split(".");
    let at = root;
    for (const part of parts.slice(0, -1)) {
        at[part] = isPlainObject(at[part]) ? at[part] : {};
        at = at[part];
    }
    at[parts[parts.length - 1]] = value;
}

interface DocStack { title: string; yaml: string; commands: { path: string; value?: string; file?: string }[] }

/** Each `## ` section of docs/existing-clusters.md with a `config:` block: the block and the secret commands after it. */
function docStacks(): DocStack[] {
    const markdown = fs.readFileSync(path.join(ROOT, "docs", "existing-clusters.md"), "utf8");
    return markdown.split(/^## /m).slice(1).flatMap(section => {
        const yaml = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map(m => m[1]).find(block => block.startsWith("config:"));
        if (!yaml) return [];
        const commands = [...section.matchAll(/pulumi config set --secret --path '([^']+)' (?:'([^']*)'|< (\S+))/g)]
            .map(m => ({ path: m[1], value: m[2], file: m[3] }));
        return [{ title: section.split("\n")[0], yaml, commands }];
    });
}

/** The snippet's config as the loader sees it, with the documented secrets set (files: a kubeconfig with the snippet's context). */
function docFleet(stack: DocStack, withSecrets: boolean): RawFleetConfig {
    const { config } = parseStackFile(stack.yaml);
    const raw: Record<string, any> = Object.fromEntries(Object.entries(config)
        .map(([key, value]) => [key.replace(/^jupyterhub-fleet:/, ""), JSON.parse(value)]));
    if (withSecrets) {
        for (const command of stack.commands) {
            const clusterKey = command.path.split(".")[1];
            const context = raw.clusters?.[clusterKey]?.context ?? "default";
            setPath(raw, command.path, command.file ? kubeconfig(context) : command.value!);
        }
    }
    return raw;
}

describe("docs/existing-clusters.md", () => {
    const stacks = docStacks();

    it("has the Valeria and CERN VRE stacks", () => {
        assert.deepStrictEqual(stacks.map(s => s.title.split(" ")[0]), ["Valeria", "CERN"]);
    });

    for (const stack of stacks) {
        describe(stack.title, () => {
            it("parses with parseFleetConfig once the documented secrets are set", () => {
                assert.ok(stack.commands.length > 0, "no pulumi config set --secret commands in this section");
                const fleet = parseFleetConfig(docFleet(stack, true), { stack: "prod", secretKeys: ["hubSecrets", "clusterSecrets"] });
                assert.ok(Object.keys(fleet.hubs).length > 0);
            });

            it("fails only for the missing secrets when pasted as is", () => {
                try {
                    parseFleetConfig(docFleet(stack, false), { stack: "prod", secretKeys: [] });
                    assert.fail("expected the secrets to be reported missing");
                } catch (error) {
                    assert.ok(error instanceof FleetConfigError, String(error));
                    for (const problem of error.problems) {
                        assert.match(problem, /^hubSecrets\.\S+: missing: .*pulumi config set --secret --path/);
                        const secretPath = problem.split(":")[0];
                        assert.ok(stack.commands.some(c => c.path === secretPath), `the section does not document ${secretPath}`);
                    }
                }
            });
        });
    }

    it("documents Valeria as OpenShift with Keycloak, Vault, postgres, NFS home and /scratch, and S3", () => {
        const fleet = parseFleetConfig(docFleet(stacks[0], true), { stack: "prod", secretKeys: ["hubSecrets", "clusterSecrets"] });
        const [clusterKey, cluster] = Object.entries(fleet.clusters)[0] as [string, KubernetesClusterSpec];
        const hub = Object.values(fleet.hubs)[0];
        assert.strictEqual(cluster.openshift, true);
        assert.strictEqual(cluster.homeStorage.type, "nfs");
        assert.deepStrictEqual(cluster.extraMounts.map(m => m.mountPath), ["/scratch"]);
        assert.ok(cluster.s3Endpoint);
        assert.deepStrictEqual(userEgressRules(cluster).slice(0, 1), [OPENSHIFT_DNS_EGRESS]);
        assert.ok(cluster.privateEgress.length > 0, "the S3 endpoint is a hostname: its private address is listed");
        assert.ok(fleet.clusterSecrets[clusterKey]?.kubeconfig);
        assert.strictEqual(hub.auth.type, "oidc");
        assert.strictEqual(hub.database?.type, "postgres");
        assert.match(hub.userSecrets?.vault.path ?? "", /\{username\}/);
    });

    it("documents the CERN VRE with ESCAPE IAM, allowAll, a Rucio token exchange, Rucio env and a postStart hook", () => {
        const fleet = parseFleetConfig(docFleet(stacks[1], true), { stack: "prod", secretKeys: ["hubSecrets", "clusterSecrets"] });
        const hub = Object.values(fleet.hubs)[0];
        assert.ok(hub.auth.type === "oidc");
        assert.strictEqual(hub.auth.tokenUrl, "https://iam-escape.cloud.cnaf.infn.it/token");
        assert.strictEqual(hub.auth.allowAll, true);
        assert.deepStrictEqual(hub.auth.tokenExchange, { audience: "rucio", scopes: ["openid", "profile"], envVar: "RUCIO_ACCESS_TOKEN" });
        assert.strictEqual(hub.env.RUCIO_OIDC_ENV_NAME, "RUCIO_ACCESS_TOKEN");
        assert.ok((hub.values as any).singleuser.lifecycleHooks.postStart.exec.command);
    });
});

/** Helm validates the chart defaults merged with every values source: the public values, then the secret ones. */
function assertChartAccepts(fleet: FleetConfig, hubKey: string): void {
    const hub = fleet.hubs[hubKey];
    const cluster = fleet.clusters[hub.cluster] as KubernetesClusterSpec;
    const home: HomeValues = cluster.homeStorage.type === "nfs"
        ? { type: "static", pvcName: "home", subPath: `${hubKey}/{escaped_username}`, fixOwnership: false }
        : { type: "dynamic", capacity: "1Gi" };
    const values = composeValues({
        hubKey, hub, home, platformEnv: {}, cloudMetadata: cluster.openshift ? "network-policy" : "block",
        userVolumes: cluster.extraMounts, userEgress: userEgressRules(cluster), hubExtraConfig: hubAuthHooks(hub),
        userSecurity: cluster.openshift ? { uid: 1000, gid: 100, fsGid: 100 } : undefined, dedicatedNodePools: false,
    });
    const secretValues = composeSecretValues({
        hub, cookieSecret: "a".repeat(64), proxySecretToken: "b".repeat(64), cryptKey: "c".repeat(64),
        clientSecret: fleet.hubSecrets[hubKey]?.auth?.clientSecret, databaseUrl: fleet.hubSecrets[hubKey]?.database?.url,
    });
    chartAccepts(`${hubKey}'s values`, values, secretValues);
}

describe("existing Kubernetes clusters: values the chart accepts", () => {
    it("for the local stack", () => {
        const { config } = readStackFile("local", ROOT);
        const raw = Object.fromEntries(Object.entries(config).map(([key, value]) => [key.replace(/^jupyterhub-fleet:/, ""), JSON.parse(value)]));
        assertChartAccepts(parseFleetConfig(raw, { stack: "local", secretKeys: [] }), "local");
    });

    it("for the Valeria and CERN VRE hubs of docs/existing-clusters.md", () => {
        for (const stack of docStacks()) {
            const fleet = parseFleetConfig(docFleet(stack, true), { stack: "prod", secretKeys: ["hubSecrets", "clusterSecrets"] });
            for (const hubKey of Object.keys(fleet.hubs)) assertChartAccepts(fleet, hubKey);
        }
    });
});

describe("existing Kubernetes clusters: user egress", () => {
    it("allows an S3 endpoint only where z2jh's user policy would refuse its address", () => {
        assert.deepStrictEqual(privateEndpoint("https://10.1.2.3"), { cidr: "10.1.2.3/32", port: 443 });
        assert.deepStrictEqual(privateEndpoint("http://172.16.0.9"), { cidr: "172.16.0.9/32", port: 80 });
        assert.deepStrictEqual(privateEndpoint("https://192.168.1.1:8443/"), { cidr: "192.168.1.1/32", port: 8443 });
        // z2jh allows no IPv6 egress at all (only 0.0.0.0/0 minus the private ranges).
        assert.deepStrictEqual(privateEndpoint("https://[fd00::5]:9000"), { cidr: "fd00::5/128", port: 9000 });
        for (const open of ["https://172.32.0.1", "https://172.15.0.1", "https://8.8.8.8", "https://s3.example.org", "https://10.example.org"]) {
            assert.strictEqual(privateEndpoint(open), undefined, open);
        }
    });

    it("orders the rules DNS, S3 endpoint, privateEgress, and adds none for a public setup", () => {
        assert.deepStrictEqual(userEgressRules({ openshift: true, s3Endpoint: "https://10.1.2.3", privateEgress: ["10.9.0.0/16", "10.8.0.1/32"] }), [
            OPENSHIFT_DNS_EGRESS,
            { to: [{ ipBlock: { cidr: "10.1.2.3/32" } }], ports: [{ port: 443, protocol: "TCP" }] },
            { to: [{ ipBlock: { cidr: "10.9.0.0/16" } }, { ipBlock: { cidr: "10.8.0.1/32" } }] },
        ]);
        assert.deepStrictEqual(userEgressRules({ openshift: false, s3Endpoint: "https://s3.example.org", privateEgress: [] }), []);
    });
});
