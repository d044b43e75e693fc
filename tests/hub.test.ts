import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import type * as k8sTypes from "@pulumi/kubernetes";
import type { Hub as HubType } from "../components/hub";
import type { Platform, HubAccess, HomeVolume } from "../components/platform";
import { parseFleetConfig } from "../components/config";
import { DEFAULT_OUTPUTS, MockRecorder, OptionsRecorder, unwrapSecret, useMocks, valueOf, isSecret } from "./harness";
import { checkRelease, plaintextSecrets, stripSecrets } from "../scripts/engineModel/helmRelease";
import { awsFleet } from "./fixtures";

const ROLE_ARN = "arn:aws:iam::123456789012:role/uw2-staging";

/** A stand-in platform: the Hub must work from the contract alone. */
function fakePlatform(k8s: typeof k8sTypes, home: HomeVolume, access: Partial<HubAccess> = {}): Platform {
    const kubeProvider = new k8s.Provider("fake-k8s", { kubeconfig: "{}" });
    const roleArn = pulumi.output(ROLE_ARN);
    return {
        clusterKey: "uw2", providerName: "aws", kubeProvider, kubeconfig: pulumi.secret("{}"), isLocal: false, dedicatedNodePools: true,
        buckets: {
            scratch: { name: pulumi.output("uw2-scratch"), url: pulumi.output("s3://uw2-scratch") },
            persistent: { name: pulumi.output("uw2-persistent"), url: pulumi.output("s3://uw2-persistent") },
            other: { name: pulumi.output("uw2-other"), url: pulumi.output("s3://uw2-other") },
        },
        homeVolume: () => home,
        hubAccess: () => ({
            serviceAccountAnnotations: { "eks.amazonaws.com/role-arn": roleArn }, identity: roleArn,
            env: { SCRATCH_BUCKET: pulumi.output("s3://uw2-scratch/$(JUPYTERHUB_USER)") },
            cloudMetadata: "block", hubSecretFiles: [], hubExtraConfig: {}, userVolumes: [], dependsOn: [], reachableBuckets: ["persistent", "scratch"],
            ...access,
        }),
    };
}

/** The release's values as the program sent them, secret markers removed. */
function releaseValues(recorder: MockRecorder, name: string): any {
    return stripSecrets(recorder.get("kubernetes:helm.sh/v3:Release", name).wireInputs.values);
}

const hexOf = (name: string) => DEFAULT_OUTPUTS["random:index/randomBytes:RandomBytes"](name, { length: 32 }).hex as string;

describe("Hub component", () => {
    let recorder: MockRecorder;
    const options = new OptionsRecorder();
    let hub: HubType;

    before(async () => {
        recorder = useMocks({ stack: "staging" });
        const k8s = await import("@pulumi/kubernetes");
        const { Hub } = await import("../components/hub");
        const fleet = parseFleetConfig(awsFleet(), { stack: "staging", secretKeys: ["hubSecrets"] });
        const platform = fakePlatform(k8s, { kind: "csi", driver: "efs.csi.aws.com", volumeHandle: pulumi.output("fs-1::fsap-1") }, {
            hubSecretFiles: [{ fileName: "s3-credentials.json", content: pulumi.secret("{\"alice\":{}}") }],
            hubExtraConfig: { "50-keys": "fleet_spawn_hooks.append(lambda spawner: None)\n" },
        });
        hub = new Hub("staging", { hubKey: "staging", hub: fleet.hubs.staging, secrets: fleet.hubSecrets.staging, platform },
            { transformations: [options.transformation] });
        await valueOf(hub.url);
        await valueOf(hub.release.status);
    });

    it("creates the namespace named after the hub and user-sa annotated with the platform's identity output", async () => {
        assert.strictEqual(recorder.get("kubernetes:core/v1:Namespace", "staging-namespace").inputs.metadata.name, "staging");
        const sa = recorder.get("kubernetes:core/v1:ServiceAccount", "staging-user-sa").inputs;
        assert.strictEqual(sa.metadata.name, "user-sa");
        assert.strictEqual(sa.metadata.namespace, "staging");
        assert.deepStrictEqual(sa.metadata.annotations, { "eks.amazonaws.com/role-arn": ROLE_ARN });
        assert.deepStrictEqual(await valueOf(hub.serviceAccountAnnotations), { "eks.amazonaws.com/role-arn": ROLE_ARN });
    });

    it("pins a static home PV to the hub's volume and keeps it on delete", () => {
        const pv = recorder.get("kubernetes:core/v1:PersistentVolume", "staging-home").inputs;
        assert.strictEqual(pv.metadata.name, "staging-home");
        assert.deepStrictEqual(pv.spec.csi, { driver: "efs.csi.aws.com", volumeHandle: "fs-1::fsap-1" });
        assert.strictEqual(pv.spec.persistentVolumeReclaimPolicy, "Retain");
        const pvc = recorder.get("kubernetes:core/v1:PersistentVolumeClaim", "staging-home-claim").inputs;
        assert.strictEqual(pvc.spec.volumeName, "staging-home");
        assert.strictEqual(pvc.spec.storageClassName, "");
        assert.strictEqual(options.of("kubernetes:core/v1:PersistentVolume", "staging-home").protect, true);
        assert.strictEqual(options.of("kubernetes:core/v1:PersistentVolumeClaim", "staging-home-claim").protect, true);
        assert.notStrictEqual(options.of("kubernetes:helm.sh/v3:Release", "staging-release").protect, true);
    });

    it("installs the pinned jupyterhub chart with atomic rollback", () => {
        const release = recorder.get("kubernetes:helm.sh/v3:Release", "staging-release").inputs;
        assert.strictEqual(release.chart, "jupyterhub");
        assert.strictEqual(release.version, "4.4.2");
        assert.deepStrictEqual(release.repositoryOpts, { repo: "https://hub.jupyter.org/helm-chart/" });
        assert.strictEqual(release.name, "staging");
        assert.strictEqual(release.namespace, "staging");
        assert.strictEqual(release.atomic, true);
        assert.ok(release.timeout >= 300);
        const values = releaseValues(recorder, "staging-release");
        assert.strictEqual(values.singleuser.serviceAccountName, "user-sa");
        assert.deepStrictEqual(values.singleuser.storage.static, { pvcName: "home", subPath: "{escaped_username}" });
        assert.strictEqual(values.singleuser.extraEnv.SCRATCH_BUCKET, "s3://uw2-scratch/$(JUPYTERHUB_USER)");
    });

    it("hands helm every secret as a secret leaf of its values, and no values file", () => {
        const release = recorder.get("kubernetes:helm.sh/v3:Release", "staging-release").wireInputs;
        assert.strictEqual(release.valueYamlFiles, undefined);
        const values = stripSecrets(release.values) as any;
        assert.strictEqual(values.hub.config.GitHubOAuthenticator.client_secret, "gh-client-secret");
        assert.strictEqual(values.hub.config.GitHubOAuthenticator.client_id, "Iv1.abc");
        assert.strictEqual(values.hub.cookieSecret, hexOf("staging-cookie-secret"));
        assert.strictEqual(values.proxy.secretToken, hexOf("staging-proxy-secret-token"));
        assert.deepStrictEqual(values.hub.config.CryptKeeper.keys, [hexOf("staging-crypt-key")]);
    });

    it("leaves no secret readable in the state the provider's Check writes, and every public value readable", () => {
        const checked = checkRelease(recorder.get("kubernetes:helm.sh/v3:Release", "staging-release").wireInputs);
        const secrets = ["gh-client-secret", hexOf("staging-cookie-secret"), hexOf("staging-proxy-secret-token"), hexOf("staging-crypt-key")];
        assert.deepStrictEqual(plaintextSecrets(checked, secrets), []);
        // Public values stay plain, so previews show them to reviewers.
        assert.deepStrictEqual(plaintextSecrets(checked, ["Iv1.abc", "user-sa", "s3://uw2-scratch"]).sort(), [
            "values.hub.config.GitHubOAuthenticator.client_id", "values.singleuser.extraEnv.SCRATCH_BUCKET",
            "values.singleuser.serviceAccountName",
        ]);
    });

    it("generates cookie secret, proxy token and CryptKeeper key as 32 random bytes each", () => {
        const bytes = recorder.ofType("random:index/randomBytes:RandomBytes").map(r => [r.name, r.inputs.length]);
        assert.deepStrictEqual(bytes.sort(), [["staging-cookie-secret", 32], ["staging-crypt-key", 32], ["staging-proxy-secret-token", 32]]);
    });

    it("mounts the platform's secret files into the hub and runs their spawn hooks", () => {
        const secret = recorder.get("kubernetes:core/v1:Secret", "staging-platform-files").inputs;
        assert.strictEqual(secret.metadata.namespace, "staging");
        assert.ok(unwrapSecret(secret.stringData).secret);
        const values = releaseValues(recorder, "staging-release");
        assert.deepStrictEqual(values.hub.extraVolumes, [{ name: "fleet-platform-files", secret: { secretName: "fleet-platform-files" } }]);
        assert.strictEqual(values.hub.extraVolumeMounts[0].mountPath, "/etc/jupyterhub/platform");
        assert.deepStrictEqual(Object.keys(values.hub.extraConfig), ["00-fleet-spawn-hooks", "50-keys"]);
        assert.match(values.hub.extraConfig["00-fleet-spawn-hooks"], /c\.Spawner\.pre_spawn_hook = fleet_pre_spawn_hook/);
    });

    it("outputs the https URL and the buckets the hub works with", async () => {
        assert.strictEqual(await valueOf(hub.url), "https://staging.hub.example.org");
        assert.deepStrictEqual(await valueOf(hub.bucketUrls), { persistent: "s3://uw2-persistent", scratch: "s3://uw2-scratch" });
        assert.strictEqual(await valueOf(hub.identity), ROLE_ARN);
        assert.strictEqual(await isSecret(hub.url), false);
    });
});

/** The staging hub of the AWS fixture, edited by `edit`, on a stand-in platform whose homes are on NFS. */
async function hubOnSharedNfs(edit: (raw: any) => void): Promise<MockRecorder> {
    const recorder = useMocks({ stack: "staging" });
    const k8s = await import("@pulumi/kubernetes");
    const { Hub } = await import("../components/hub");
    const raw = awsFleet() as any;
    edit(raw);
    const fleet = parseFleetConfig(raw, { stack: "staging", secretKeys: ["hubSecrets"] });
    const platform = fakePlatform(k8s, { kind: "nfs", server: "10.0.0.2", path: "/homes", hubDirectory: "staging" });
    const hub = new Hub("staging", { hubKey: "staging", hub: fleet.hubs.staging, secrets: fleet.hubSecrets.staging, platform });
    await valueOf(hub.release.status);
    await valueOf(hub.url);
    return recorder;
}

describe("Hub component on shared NFS", () => {
    let recorder: MockRecorder;

    before(async () => {
        recorder = await hubOnSharedNfs(raw => {
            delete raw.hubs.staging.domain;
            delete raw.hubs.staging.contactEmail;
        });
    });

    it("mounts the export with a per-hub directory and hands new homes to the user", () => {
        const pv = recorder.get("kubernetes:core/v1:PersistentVolume", "staging-home").inputs;
        assert.deepStrictEqual(pv.spec.nfs, { server: "10.0.0.2", path: "/homes" });
        const values = releaseValues(recorder, "staging-release");
        assert.strictEqual(values.singleuser.storage.static.subPath, "staging/{escaped_username}");
        assert.strictEqual(values.singleuser.initContainers[0].volumeMounts[0].subPath, "staging/{escaped_username}");
        assert.strictEqual(values.proxy.https, undefined);
    });
});

describe("Hub component with secret raw values", () => {
    let recorder: MockRecorder;

    before(async () => {
        recorder = await hubOnSharedNfs(raw => {
            raw.hubs.staging.values = { singleuser: { image: { name: "public/image", tag: "1" } }, cull: { timeout: 600 } };
            raw.hubSecrets.staging.values = { singleuser: { image: { name: "registry.example.org/private/image" } } };
        });
    });

    it("merges hubSecrets values over the public ones, and keeps only those leaves secret in the state", () => {
        const wire = recorder.get("kubernetes:helm.sh/v3:Release", "staging-release").wireInputs;
        const values = stripSecrets(wire.values) as any;
        assert.deepStrictEqual(values.singleuser.image, { name: "registry.example.org/private/image", tag: "1" });
        assert.strictEqual(values.cull.timeout, 600);
        const checked = checkRelease(wire);
        assert.deepStrictEqual(plaintextSecrets(checked, ["registry.example.org/private/image"]), []);
        assert.deepStrictEqual(plaintextSecrets(checked, ["public/image"]), [], "the overridden public value is gone");
        assert.strictEqual((stripSecrets(checked) as any).values.singleuser.image.tag, "1");
    });
});
