/**
 * One JupyterHub: namespace, user service account, home volume, generated secrets and the z2jh release.
 * Cloud-agnostic: everything cloud-specific arrives through the `Platform` contract.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { HubSecretsSpec, HubSpec, memoryBytes, NodePoolSpec } from "./config";
import { DaskGateway } from "./daskGateway";
import { hubMetricsSecretValues, hubMetricsValues } from "./monitoring";
import { HOME_NFS_EXPORT_PATH, HOME_NFS_MOUNT_OPTIONS, HomeNfsServer } from "./homeNfsServer";
import { HomeVolume, HubSecretFile, NODE_PURPOSE_LABEL, Platform, USER_SERVICE_ACCOUNT, UserSecretEnv } from "./platform";
import { Placement, poolPlacement, USER_TOLERATIONS } from "./poolPlacement";
import { composeSecretValues, composeValues, HomeValues } from "./z2jhValues";
import { hubAuthHooks } from "./hooks/hubHooks";
import { SHARED_DIRECTORIES_HOOK_KEY, sharedDirectoriesHook, sharedSubPath } from "./hooks/sharedDirectories";
import { withSpawnHookRunner } from "./hooks/spawnHooks";
import { deepMerge, isPlainObject, PlainObject } from "./util";

export const Z2JH_REPOSITORY = "https://hub.jupyter.org/helm-chart/";
/** Helm waits this long for the hub to become ready before rolling back (`atomic`). */
const RELEASE_TIMEOUT_SECONDS = 900;
/** Static PVs over NFS/EFS have no real size; Kubernetes still wants one. */
const NOMINAL_SHARED_CAPACITY = "1Ti";
const HOME_PVC_NAME = "home";
const PLATFORM_SECRET_NAME = "fleet-platform-files";

export interface HubArgs {
    /** Hub key: the namespace and the helm release name. */
    readonly hubKey: string;
    /** The hub's config, with hubDefaults applied. */
    readonly hub: HubSpec;
    /** The hub's entry in hubSecrets (plain here; every value is wrapped as a Pulumi secret before use). */
    readonly secrets?: HubSecretsSpec;
    /** The cluster platform the hub runs on. */
    readonly platform: Platform;
    /** The node pools of the hub's cluster by config key (none on an existing cluster), which profiles and dask-gateway name. */
    readonly nodePools?: Readonly<Record<string, NodePoolSpec>>;
    /** The token the cluster's Prometheus reads the hub's metrics with; absent when the cluster has no monitoring. */
    readonly metricsToken?: pulumi.Output<string>;
}

/**
 * Where a hub's dask schedulers and workers run: its worker pool, or else the user pools (held there by z2jh's
 * purpose label where the fleet made the pools), or wherever the scheduler puts them on an existing cluster.
 */
export function daskPlacement(hub: HubSpec, nodePools: Readonly<Record<string, NodePoolSpec>>, dedicatedNodePools: boolean): Placement | undefined {
    const poolKey = hub.daskGateway?.workerPool;
    if (poolKey !== undefined) return poolPlacement(poolKey, nodePools[poolKey]);
    return dedicatedNodePools ? { nodeSelector: { [NODE_PURPOSE_LABEL]: "user" }, tolerations: [...USER_TOLERATIONS] } : undefined;
}

/** A home volume as the hub mounts it: an nfs-server volume once its server runs. */
export type MountedHomeVolume = Exclude<HomeVolume, { kind: "nfs-server" }>;

/** Home storage values for z2jh, and the volume to create for a static home. */
export function homeValues(volume: MountedHomeVolume, ownershipHandledByPlatform: boolean): HomeValues {
    switch (volume.kind) {
        case "csi":
            return { type: "static", pvcName: HOME_PVC_NAME, subPath: "{escaped_username}", fixOwnership: false };
        case "nfs":
            return {
                type: "static", pvcName: HOME_PVC_NAME,
                subPath: volume.hubDirectory ? `${volume.hubDirectory}/{escaped_username}` : "{escaped_username}",
                fixOwnership: !ownershipHandledByPlatform && !volume.createsUserDirectories && !volume.squashesToUser,
            };
        case "dynamic":
            return { type: "dynamic", storageClass: volume.storageClass, capacity: volume.capacity };
    }
}

/**
 * What the hub's namespace records of its home storage (annotations), so a plan against the last deployed
 * commit sees a hub move to another kind of storage, or its nfs-server volume shrink (scripts/homeStorageDiff.ts).
 */
export const HOME_STORAGE_ANNOTATION = "jupyterhub-fleet/home-storage";
export const HOME_SIZE_ANNOTATION = "jupyterhub-fleet/home-size-gb";
export function homeStorageAnnotations(volume: HomeVolume | undefined): Record<string, string> {
    if (!volume) return { [HOME_STORAGE_ANNOTATION]: "none" };
    switch (volume.kind) {
        case "csi": return { [HOME_STORAGE_ANNOTATION]: `csi:${volume.driver}` };
        case "nfs": return { [HOME_STORAGE_ANNOTATION]: "nfs" };
        case "nfs-server": return { [HOME_STORAGE_ANNOTATION]: "nfs-server", [HOME_SIZE_ANNOTATION]: String(volume.sizeGb) };
        case "dynamic": return { [HOME_STORAGE_ANNOTATION]: "dynamic" };
    }
}

/** The directory of the hub's home volume that holds its users' homes ("" for the volume's root). */
function hubDirectoryOf(volume: MountedHomeVolume): string {
    return volume.kind === "nfs" ? volume.hubDirectory ?? "" : "";
}

export class Hub extends pulumi.ComponentResource {
    /** The hub's namespace. */
    readonly namespace: pulumi.Output<string>;
    /** Where users reach the hub. */
    readonly url: pulumi.Output<string>;
    /**
     * The proxy's load balancer (hostname or IP) once the release has created it: where a domain's DNS
     * record points. Unknown in the preview that creates the hub.
     */
    readonly address: pulumi.Output<string | undefined>;
    /** Annotations on the users' service account. */
    readonly serviceAccountAnnotations: pulumi.Output<Record<string, string>>;
    /** The cloud identity users act as (IAM role ARN, Google service account), if any. */
    readonly identity: pulumi.Output<string | undefined>;
    /** URLs of the buckets this hub's users work with, by bucket key. */
    readonly bucketUrls: pulumi.Output<Record<string, string>>;
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: HubArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:hub:Hub", name, {}, opts);
        const { hubKey, hub, platform } = args;
        const childOpts: pulumi.CustomResourceOptions = { parent: this, provider: platform.kubeProvider };
        const access = platform.hubAccess(hubKey);

        // `storage: none` asks the platform for nothing: no volume, no PV or claim, no ownership init container.
        const platformVolume = hub.storage === "none" ? undefined : platform.homeVolume(hubKey);
        const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, {
            metadata: {
                name: hubKey, labels: { "app.kubernetes.io/managed-by": "jupyterhub-fleet" },
                annotations: homeStorageAnnotations(platformVolume),
            },
        }, childOpts);
        this.namespace = namespace.metadata.name;

        const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-user-sa`, {
            metadata: { name: USER_SERVICE_ACCOUNT, namespace: this.namespace, annotations: access.serviceAccountAnnotations },
        }, childOpts);

        const volume = platformVolume?.kind === "nfs-server"
            ? this.homeNfsServer(name, hubKey, hub, platformVolume, childOpts) : platformVolume;
        const ownHome: HomeValues = volume ? homeValues(volume, access.userSecurity !== undefined) : { type: "none" };
        // Where a root init container hands new homes over, it hands over the shared directory too.
        const home: HomeValues = ownHome.type === "static" && ownHome.fixOwnership && hub.sharedDirectory
            ? { ...ownHome, sharedSubPath: sharedSubPath(hubDirectoryOf(volume as MountedHomeVolume)) } : ownHome;
        const homeClaim = volume && volume.kind !== "dynamic" ? this.staticHome(name, hubKey, volume, childOpts) : undefined;
        const sharedHook: Record<string, string> = volume && volume.kind !== "dynamic" && (hub.sharedDirectory || hub.adminHomeAccess)
            ? { [SHARED_DIRECTORIES_HOOK_KEY]: sharedDirectoriesHook({
                hubDirectory: hubDirectoryOf(volume), sharedDirectory: hub.sharedDirectory, adminHomeAccess: hub.adminHomeAccess ?? false,
            }) } : {};

        // 32 random bytes, hex-encoded: what JupyterHub expects for cookie and CryptKeeper keys.
        const randomHex = (role: string) =>
            new random.RandomBytes(`${name}-${role}`, { length: 32 }, { parent: this }).hex;
        const cookieSecret = randomHex("cookie-secret");
        const proxySecretToken = randomHex("proxy-secret-token");
        const cryptKey = randomHex("crypt-key");
        const daskGatewayToken = hub.daskGateway ? randomHex("dask-gateway-token") : undefined;

        const platformSecret = access.hubSecretFiles.length === 0 ? undefined : new k8s.core.v1.Secret(`${name}-platform-files`, {
            metadata: { name: PLATFORM_SECRET_NAME, namespace: this.namespace },
            stringData: Object.fromEntries(access.hubSecretFiles.map(file => [file.fileName, pulumi.secret(file.content)])),
        }, childOpts);

        // Named from the platform's Secret names (config keys such as logins), never list positions.
        const userPodSecrets = (access.userPodSecrets ?? []).map(secret => new k8s.core.v1.Secret(`${name}-user-secret-${secret.name}`, {
            metadata: { name: secret.name, namespace: this.namespace },
            stringData: Object.fromEntries(Object.entries(secret.data).map(([key, value]) => [key, pulumi.secret(value)])),
        }, childOpts));

        const publicValues = composeValues({
            hubKey, hub, home,
            platformEnv: access.env,
            cloudMetadata: access.cloudMetadata,
            userVolumes: access.userVolumes,
            userEgress: access.userEgress,
            userSecurity: access.userSecurity,
            hubExtraConfig: withSpawnHookRunner({ ...access.hubExtraConfig, ...hubAuthHooks(hub), ...sharedHook }),
            platformSecretName: platformSecret ? PLATFORM_SECRET_NAME : undefined,
            dedicatedNodePools: platform.dedicatedNodePools,
            nodePools: args.nodePools,
        });
        const secrets = args.secrets ?? {};
        const metrics = args.metricsToken
            ? { values: hubMetricsValues(), secretValues: hubMetricsSecretValues(args.metricsToken) }
            : { values: {}, secretValues: {} };
        const secretValues = secretLeaves(deepMerge(metrics.secretValues, composeSecretValues({
            hub, cookieSecret, proxySecretToken, cryptKey,
            clientSecret: secrets.auth?.clientSecret, password: secrets.auth?.password, adminPassword: secrets.auth?.adminPassword,
            databaseUrl: secrets.database?.url, daskGatewayToken, values: secrets.values,
        })));

        this.release = new k8s.helm.v3.Release(`${name}-release`, {
            name: hubKey,
            namespace: this.namespace,
            chart: "jupyterhub",
            version: hub.chartVersion,
            repositoryOpts: { repo: Z2JH_REPOSITORY },
            // Secrets sit in `values` as secret leaves, never in valueYamlFiles (whose contents the provider
            // stores in plain text); hubSecrets.<hub>.values merge last, over the public values.
            values: deepMerge(deepMerge(metrics.values, publicValues), secretValues),
            atomic: true,
            cleanupOnFail: true,
            timeout: RELEASE_TIMEOUT_SECONDS,
        }, {
            ...childOpts,
            dependsOn: [serviceAccount, ...(homeClaim ? [homeClaim] : []), ...(platformSecret ? [platformSecret] : []), ...userPodSecrets,
                ...access.dependsOn],
        });

        if (hub.daskGateway && daskGatewayToken) {
            const dask = hub.daskGateway;
            const secretEnv = access.userSecretEnv;
            const indexFile = secretEnv && userSecretIndex(secretEnv, access.hubSecretFiles);
            new DaskGateway(`${name}-dask-gateway`, {
                namespace: this.namespace,
                values: {
                    namespace: hubKey,
                    image: dask.image ?? (hub.image ? `${hub.image.name}:${hub.image.tag}` : undefined),
                    placement: daskPlacement(hub, args.nodePools ?? {}, platform.dedicatedNodePools),
                    maxCores: dask.maxCores,
                    maxMemory: dask.maxMemory === undefined ? undefined : memoryBytes(dask.maxMemory),
                    idleTimeoutMinutes: dask.idleTimeoutMinutes,
                    userSecrets: secretEnv && { ...secretEnv, indexSecret: PLATFORM_SECRET_NAME },
                    // Bucket variables name each user's own prefix through $(JUPYTERHUB_USER), which pods of the gateway lack.
                    environment: Object.fromEntries(Object.entries(access.env).filter(([variable]) => !(variable in hub.bucketEnv))),
                },
                userSecretIndex: indexFile?.content,
                apiToken: daskGatewayToken,
                cloudMetadata: access.cloudMetadata,
                userEgress: access.userEgress ?? [],
                kubeProvider: platform.kubeProvider,
                // The gateway pod reads the index from the platform Secret, and its users' pods their own Secrets.
                dependsOn: [namespace, serviceAccount, ...(indexFile && platformSecret ? [platformSecret, ...userPodSecrets] : []),
                    ...access.dependsOn],
            }, { parent: this });
        }

        this.address = this.proxyAddress(name, childOpts);
        this.url = hub.domain ? pulumi.output(`https://${hub.domain}`) : this.address.apply(address => address
            ? `http://${address}` : `kubectl -n ${hubKey} port-forward svc/proxy-public 8080:80, then http://localhost:8080`);
        this.serviceAccountAnnotations = pulumi.output(access.serviceAccountAnnotations);
        this.identity = pulumi.output(access.identity);
        this.bucketUrls = pulumi.output(Object.fromEntries(
            [...access.reachableBuckets].sort().map(key => [key, platform.buckets[key].url])));

        this.registerOutputs({
            namespace: this.namespace, url: this.url, address: this.address, serviceAccountAnnotations: this.serviceAccountAnnotations,
            identity: this.identity, bucketUrls: this.bucketUrls,
        });
    }

    /**
     * The hub's own NFS server on its nfs-server volume, and that server as the `nfs` volume users mount: the
     * volume's root is the hub's, ganesha squashes every client to the users' uid.
     */
    private homeNfsServer(name: string, hubKey: string, hub: HubSpec, volume: Extract<HomeVolume, { kind: "nfs-server" }>,
        childOpts: pulumi.CustomResourceOptions): MountedHomeVolume {
        const server = new HomeNfsServer(`${name}-home-nfs`, {
            hubKey,
            namespace: this.namespace,
            values: { disk: volume.disk, quotaGb: hub.homeQuotaGb ?? volume.perUserQuotaGb, nodeSelector: volume.nodeSelector },
            kubeProvider: childOpts.provider as k8s.Provider,
            dependsOn: volume.dependsOn,
        }, { parent: this });
        return {
            kind: "nfs", server: server.address, path: HOME_NFS_EXPORT_PATH, squashesToUser: true,
            mountOptions: HOME_NFS_MOUNT_OPTIONS, dependsOn: [server],
        };
    }

    /** A PV pinned to the hub's directory and the claim users mount; both kept when the hub is removed. */
    private staticHome(name: string, hubKey: string, volume: Exclude<MountedHomeVolume, { kind: "dynamic" }>,
        childOpts: pulumi.CustomResourceOptions): k8s.core.v1.PersistentVolumeClaim {
        const source = volume.kind === "csi"
            ? { csi: { driver: volume.driver, volumeHandle: volume.volumeHandle } }
            : { nfs: { server: volume.server, path: volume.path }, ...(volume.mountOptions ? { mountOptions: [...volume.mountOptions] } : {}) };
        const persistentVolume = new k8s.core.v1.PersistentVolume(`${name}-home`, {
            // PVs are cluster-scoped: the hub key keeps them apart.
            metadata: { name: `${hubKey}-home` },
            spec: {
                capacity: { storage: NOMINAL_SHARED_CAPACITY },
                accessModes: ["ReadWriteMany"],
                persistentVolumeReclaimPolicy: "Retain",
                storageClassName: "",
                ...source,
            },
        }, { ...childOpts, protect: true, dependsOn: volume.dependsOn });
        return new k8s.core.v1.PersistentVolumeClaim(`${name}-home-claim`, {
            metadata: { name: HOME_PVC_NAME, namespace: this.namespace },
            spec: {
                accessModes: ["ReadWriteMany"],
                storageClassName: "",
                volumeName: persistentVolume.metadata.name,
                resources: { requests: { storage: NOMINAL_SHARED_CAPACITY } },
            },
        }, { ...childOpts, protect: true });
    }

    /**
     * Reads the proxy service the chart creates. Its ID comes from the release's outputs, so the read waits
     * for the release: the engine runs a read during preview whenever its ID is known, and `dependsOn` does
     * not delay it (pulumi/pulumi#16395; pkg/resource/deploy/step.go `ReadStep.Apply` skips only unknown IDs),
     * so a constant ID fails the first preview of every hub, before the service exists.
     */
    private proxyAddress(name: string, childOpts: pulumi.CustomResourceOptions): pulumi.Output<string | undefined> {
        const serviceId = this.release.status.apply(status => `${status.namespace}/proxy-public`);
        const service = k8s.core.v1.Service.get(`${name}-proxy-public`, serviceId, { ...childOpts, dependsOn: [this.release] });
        return service.status.apply(status => {
            const ingress = status?.loadBalancer?.ingress?.[0];
            return ingress?.hostname ?? ingress?.ip ?? undefined;
        });
    }
}

/** The hub secret file holding the index of `env`; a platform naming a file it does not deliver is a wiring error. */
export function userSecretIndex(env: UserSecretEnv, files: readonly HubSecretFile[]): HubSecretFile {
    const file = files.find(f => f.fileName === env.indexFile);
    if (!file) {
        throw new Error(`the platform names ${env.indexFile} as its per-user Secret index but delivers no such hub secret file ` +
            `(it delivers: ${files.map(f => f.fileName).join(", ") || "none"})`);
    }
    return file;
}

/** Every leaf of `values` as a Pulumi secret, lists as a whole (the provider marks a list secret as a whole). */
function secretLeaves(values: PlainObject): PlainObject {
    return Object.fromEntries(Object.entries(values).map(([key, value]) =>
        [key, isPlainObject(value) ? secretLeaves(value) : pulumi.secret(value)]));
}
