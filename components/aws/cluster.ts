/**
 * One AWS cluster entry: network, EKS with managed node groups, IRSA, EFS homes, S3 buckets and a role per
 * hub with cloud access. Everything AWS goes through this cluster's own regional provider, so clusters of one
 * stack can live in different regions.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import { AwsClusterSpec, bucketFullName, HubSpec, hubIdentityName, NodePoolSpec, nodePoolPurpose } from "../config";
import { desiredNodeCount } from "../nodePoolSize";
import {
    BucketRef, baseHubAccess, bucketEnvVars, grantedBuckets, HomeVolume, HubAccess, hubsWithHomes, NODE_PURPOSE_LABEL, Platform, PlatformArgs,
} from "../platform";
import { apiTaintEffect } from "../nodePoolScheduling";
import { ebsVolumeTags, fleetTags } from "../tags";
import { stableJson } from "../util";
import { awsBudgetArgs } from "./budget";
import { BucketUser, Buckets } from "./buckets";
import { ClusterAccess } from "./clusterAccess";
import { ClusterAutoscaler } from "./clusterAutoscaler";
import { coreZone, HomeDisks } from "./homeDisks";
import { HomeStorage } from "./homeStorage";
import { HubIdentity } from "./hubIdentity";
import { NvidiaDevicePlugin } from "./devicePlugin";
import { amiTypeFor, autoscalerTemplateTags, eksPoolScheduling } from "./gpuNodes";
import { eksKubeconfig } from "./kubeconfig";
import { Network } from "./network";
import { liveNodeGroupSizes } from "./nodeGroupSizes";
import { BucketAccessLevel, bucketArn, irsaPrefixTrustPolicy, irsaTrustPolicy, managedPolicyArn, serviceTrustPolicy } from "./policies";
import { poolSubnetKeys } from "./zones";

const CSI_NAMESPACE = "kube-system";
/**
 * The EFS driver's controller (efs-csi-controller-sa) and node agent (efs-csi-node-sa) both call AWS; the EKS
 * user guide's trust policy for the add-on admits `efs-csi-*`.
 */
const EFS_CSI_SERVICE_ACCOUNT_PREFIX = "efs-csi-";
/** The EBS driver's controller account, the one the EKS user guide's trust policy names ("Amazon EBS CSI driver"). */
const EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa";
export const EBS_CSI_DRIVER = "ebs.csi.aws.com";
/** The cluster's default StorageClass, which z2jh's hub database claim (`hub-db-dir`) uses. */
export const DEFAULT_STORAGE_CLASS = "gp3";
/** How long EKS control-plane logs are kept (CloudWatch keeps them forever otherwise). */
export const CONTROL_PLANE_LOG_RETENTION_DAYS = 90;
/** Root disk sizes (GiB) when a pool sets no diskSizeGb: EKS's 20 fills up with a few notebook images. */
export const DEFAULT_DISK_SIZE_GB = { core: 50, user: 100, dask: 100 } as const;

const CLUSTER_ROLE_POLICIES = ["AmazonEKSClusterPolicy"];
const NODE_ROLE_POLICIES = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"];

/**
 * The managed node group settings of one pool: the fleet's labels and taints plus the pool's own (the same on
 * every cloud: nodePoolScheduling.ts, with the autoscaler's GPU label: gpuNodes.ts), spot with its instance
 * types, autoscaling bounds, and the desired size to send (`desiredNodeCount` of the live size: see
 * nodeGroupSizes.ts for why it is not ignored). A changed
 * `instanceTypes` list replaces the node group (terraform-provider-aws internal/service/eks/node_group.go:
 * `instance_types` is ForceNew), which the plan reports (scripts/replacementTable.ts).
 */
export function nodeGroupSettings(poolKey: string, pool: NodePoolSpec, desiredSize: pulumi.Input<number>) {
    const purpose = nodePoolPurpose(poolKey, pool);
    const scheduling = eksPoolScheduling(poolKey, pool);
    return {
        instanceTypes: [pool.machineType, ...(pool.instanceTypes ?? [])],
        amiType: amiTypeFor(pool.machineType),
        capacityType: pool.spot ? "SPOT" : "ON_DEMAND",
        diskSize: pool.diskSizeGb ?? DEFAULT_DISK_SIZE_GB[purpose],
        scalingConfig: { minSize: pool.minNodes, maxSize: pool.maxNodes, desiredSize },
        labels: { ...scheduling.labels },
        taints: scheduling.taints.map(t => ({ key: t.key, value: t.value, effect: apiTaintEffect(t.effect) })),
    };
}

/** An Auto Scaling group tag; `propagateAtLaunch` copies it to every instance the group launches from then on. */
export interface AutoScalingGroupTag {
    readonly key: string;
    readonly value: string;
    readonly propagateAtLaunch: boolean;
}

/** Dropped from the autoscaler's tag keys in the tag resources' names (`<pool>-node-template/label/…`). */
const AUTOSCALER_TAG_PREFIX = "k8s.io/cluster-autoscaler/";

/**
 * The tags the fleet puts on the Auto Scaling group of a pool's node group, cost tags first.
 *
 * - The cluster's cost tags (tags.ts fleetTags), propagated to the instances: the provider's defaultTags reach
 *   the node group but EKS copies none of them to the group's instances (aws/containers-roadmap#608), so the
 *   cluster's budget (budget.ts) would miss its nodes. A launch template with tag specifications would tag them
 *   too, but adding one replaces every existing node group (terraform-provider-aws
 *   internal/service/eks/node_group.go: `launch_template.id` and `.name` are ForceNew) and EKS refuses `diskSize`
 *   beside it. Propagation tags instances at launch only, never their EBS volumes (EC2 Auto Scaling user guide,
 *   "Tag Auto Scaling groups and instances"): README, "Cost per cluster and per hub".
 * - For a pool that can be at zero, the autoscaler's node-template tags (gpuNodes.ts says why), kept off the
 *   instances: they describe the node to the autoscaler, nothing reads them on an instance.
 */
export function autoScalingGroupTags(clusterKey: string, poolKey: string, pool: NodePoolSpec): AutoScalingGroupTag[] {
    const cost = Object.entries(fleetTags(clusterKey)).map(([key, value]) => ({ key, value, propagateAtLaunch: true }));
    const template = pool.minNodes === 0 ? autoscalerTemplateTags(pool, eksPoolScheduling(poolKey, pool)) : {};
    return [...cost, ...Object.entries(template).map(([key, value]) => ({ key, value, propagateAtLaunch: false }))];
}

/** The vpc-cni add-on's configuration values (JSON with sorted keys: a reordering must not show as a diff). */
export const VPC_CNI_CONFIGURATION = stableJson({ enableNetworkPolicy: "true" });

/**
 * The cluster's default StorageClass: encrypted gp3 volumes from the EBS CSI driver (aws-ebs-csi-driver
 * docs/parameters.md: `type`, `encrypted`), made in the zone of the pod that first uses them
 * (`WaitForFirstConsumer`: a volume made elsewhere could never be attached to it), and kept when their claim
 * is deleted (`Retain`: a hub's database must outlive a removed release).
 */
export function defaultStorageClassArgs(): k8s.storage.v1.StorageClassArgs {
    return {
        metadata: {
            name: DEFAULT_STORAGE_CLASS,
            annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
        },
        provisioner: EBS_CSI_DRIVER,
        parameters: { type: "gp3", encrypted: "true" },
        volumeBindingMode: "WaitForFirstConsumer",
        reclaimPolicy: "Retain",
        allowVolumeExpansion: true,
    };
}

export class AwsCluster extends pulumi.ComponentResource implements Platform {
    readonly clusterKey: string;
    readonly providerName = "aws" as const;
    readonly isLocal = false;
    readonly dedicatedNodePools = true;
    /** Encrypted gp3, as the default class (aws-ebs-csi-driver docs/parameters.md). */
    readonly volumeProvisioner = { provisioner: EBS_CSI_DRIVER, parameters: { type: "gp3", encrypted: "true" }, tagParameters: ebsVolumeTags };
    readonly region: string;
    /** The EKS cluster's name (the cluster key). */
    readonly clusterName: pulumi.Output<string>;
    readonly clusterArn: pulumi.Output<string>;
    /** Kubeconfig using `aws eks get-token` (a secret: it names the endpoint and CA). */
    readonly kubeconfig: pulumi.Output<string>;
    readonly kubeProvider: k8s.Provider;
    /** The regional AWS provider every AWS resource of this cluster uses. */
    readonly awsProvider: aws.Provider;
    readonly vpcId: pulumi.Output<string>;
    /** The cluster's OIDC issuer URL; IRSA trust policies pin it. */
    readonly oidcIssuerUrl: pulumi.Output<string>;
    /** The IAM OIDC provider hub roles trust (for cross-account trust set up by others). */
    readonly oidcProviderArn: pulumi.Output<string>;
    /** The EFS file system holding every hub's homes (efs home storage). */
    readonly homeFileSystemId?: pulumi.Output<string>;
    readonly buckets: Readonly<Record<string, BucketRef>>;
    /** IAM role ARN by hub key, for hubs with cloudAccess: what third parties put in their bucket policies. */
    readonly hubRoleArns: Readonly<Record<string, pulumi.Output<string>>>;

    private readonly hubs: Readonly<Record<string, HubSpec>>;
    private readonly homeStorage: HomeStorage | HomeDisks;
    private readonly identities: Readonly<Record<string, HubIdentity>>;
    /** Bucket keys each hub with cloudAccess uses. */
    private readonly hubBuckets: Readonly<Record<string, readonly string[]>>;
    private readonly bucketPolicies: Readonly<Record<string, pulumi.Resource>>;
    /** The hub database claims' class: every hub's release waits for it. */
    private readonly defaultStorageClass: k8s.storage.v1.StorageClass;

    /**
     * @param name The cluster key: names the EKS cluster, IAM roles and every child resource.
     */
    constructor(name: string, args: PlatformArgs<AwsClusterSpec>, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:aws:Cluster", name, {}, opts);
        const spec = args.cluster;
        this.clusterKey = name;
        this.region = spec.region;
        this.hubs = args.hubs;

        const provider = new aws.Provider(`${name}-aws`, {
            region: spec.region,
            // Every taggable AWS resource of the cluster carries its cost-allocation tags (tags.ts); resources of one
            // hub add the hub's. Node group tags do not reach the groups' instances (aws/containers-roadmap#608):
            // the node groups' Auto Scaling groups carry them to the instances (autoScalingGroupTags).
            defaultTags: { tags: { ...fleetTags(name), "jupyterhub-fleet:stack": pulumi.getStack() } },
        }, { parent: this });
        this.awsProvider = provider;
        const awsOpts: pulumi.CustomResourceOptions = { parent: this, provider };
        const componentOpts: pulumi.ComponentResourceOptions = { parent: this, providers: [provider] };

        const network = new Network(`${name}-network`, {
            region: spec.region,
            clusterName: name,
            vpcCidr: spec.network.vpcCidr,
            availabilityZones: spec.network.availabilityZones,
            vpcId: spec.network.vpcId,
            subnetIds: spec.network.subnetIds,
        }, componentOpts);

        const clusterRole = this.serviceRole(`${name}-cluster-role`, "eks.amazonaws.com", CLUSTER_ROLE_POLICIES, awsOpts);
        // EKS writes control-plane logs to this group, creating it without a retention if it does not exist yet;
        // so it is created first (hashicorp/terraform-provider-aws website/docs/r/eks_cluster.html.markdown:
        // "Enabling Control Plane Logging", the log group with depends_on).
        const controlPlaneLogs = new aws.cloudwatch.LogGroup(`${name}-control-plane-logs`, {
            name: `/aws/eks/${name}/cluster`,
            retentionInDays: CONTROL_PLANE_LOG_RETENTION_DAYS,
        }, awsOpts);
        const eksCluster = new aws.eks.Cluster(`${name}-eks`, {
            name,
            version: spec.kubernetesVersion,
            roleArn: clusterRole.role.arn,
            vpcConfig: {
                subnetIds: network.privateSubnets.map(s => s.id),
                endpointPrivateAccess: true,
                endpointPublicAccess: true,
                publicAccessCidrs: spec.publicAccessCidrs,
            },
            // Access entries instead of the aws-auth ConfigMap: whoever runs the first `up` becomes cluster admin
            // (EKS's bootstrap entry), everyone else comes from `admins` / `viewers` (ClusterAccess). The flag
            // only acts at creation and is ForceNew (terraform-provider-aws internal/service/eks/cluster.go
            // `bootstrap_cluster_creator_admin_permissions`), so turning it off would replace existing clusters.
            accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
            enabledClusterLogTypes: ["audit", "authenticator"],
            // At the end of standard support EKS upgrades the control plane instead of billing extended support.
            upgradePolicy: { supportType: "STANDARD" },
            // Replacing or deleting the cluster loses every Kubernetes object on it (hub databases on their
            // volumes, user claims, secrets): EKS's own flag refuses it outside Pulumi too.
            deletionProtection: spec.deletionProtection,
        }, { ...awsOpts, dependsOn: [...clusterRole.attachments, controlPlaneLogs], protect: spec.deletionProtection });
        this.clusterName = eksCluster.name;
        this.clusterArn = eksCluster.arn;
        this.oidcIssuerUrl = eksCluster.identities.apply(ids => ids[0].oidcs[0].issuer);

        // No thumbprint: IAM validates EKS issuers against its own trusted CAs and ignores configured ones.
        const oidcProvider = new aws.iam.OpenIdConnectProvider(`${name}-oidc`, {
            url: this.oidcIssuerUrl,
            clientIdLists: ["sts.amazonaws.com"],
        }, awsOpts);
        this.oidcProviderArn = oidcProvider.arn;

        // The CNI and kube-proxy must run before nodes can become Ready; CoreDNS and the CSI drivers need nodes.
        const nodeAddons = [
            // The CNI's network policy agent is off by default: without it the z2jh NetworkPolicies (user pods
            // isolated from each other and from the metadata endpoint) are accepted but not enforced (EKS user
            // guide, "Restrict Pod network traffic with Kubernetes network policies": configuration values
            // {"enableNetworkPolicy": "true"} on the vpc-cni add-on).
            this.addon(name, eksCluster, "vpc-cni", { configurationValues: VPC_CNI_CONFIGURATION }, awsOpts),
            this.addon(name, eksCluster, "kube-proxy", {}, awsOpts),
        ];
        const nodeRole = this.serviceRole(`${name}-node-role`, "ec2.amazonaws.com", NODE_ROLE_POLICIES, awsOpts);
        // Every update sends the autoscaler's current size, clamped to the configured bounds.
        const liveSizes = liveNodeGroupSizes(eksCluster.name, provider);
        const subnetIdsByKey = new Map(network.privateSubnets.map(s => [s.key, s.id]));
        const nodeGroups = Object.entries(spec.nodePools).map(([poolKey, pool]) => {
            const group = new aws.eks.NodeGroup(`${name}-pool-${poolKey}`, {
                clusterName: eksCluster.name,
                version: eksCluster.version,
                nodeRoleArn: nodeRole.role.arn,
                // Core pools in one zone, next to the hub databases' EBS volumes (zones.ts).
                subnetIds: poolSubnetKeys(poolKey, pool, network.privateSubnets).map(key => subnetIdsByKey.get(key)!),
                ...nodeGroupSettings(poolKey, pool, liveSizes.apply(sizes => desiredNodeCount(sizes[poolKey], pool))),
            }, { ...awsOpts, dependsOn: [...nodeRole.attachments, ...nodeAddons] });
            this.tagAutoScalingGroup(`${name}-pool-${poolKey}`, group, autoScalingGroupTags(name, poolKey, pool), awsOpts);
            return group;
        });

        const trustOf = (policy: (providerArn: string, issuer: string) => string) =>
            pulumi.all([oidcProvider.arn, this.oidcIssuerUrl]).apply(([arn, issuer]) => policy(arn, issuer));
        const efsCsi = this.addonRole(`${name}-efs-csi`,
            trustOf((arn, issuer) => irsaPrefixTrustPolicy(arn, issuer, CSI_NAMESPACE, EFS_CSI_SERVICE_ACCOUNT_PREFIX)),
            "service-role/AmazonEFSCSIDriverPolicy", awsOpts);
        const ebsCsi = this.addonRole(`${name}-ebs-csi`,
            trustOf((arn, issuer) => irsaTrustPolicy(arn, issuer, CSI_NAMESPACE, EBS_CSI_SERVICE_ACCOUNT)),
            "service-role/AmazonEBSCSIDriverPolicy", awsOpts);
        const clusterAddons = [
            this.addon(name, eksCluster, "coredns", {}, { ...awsOpts, dependsOn: nodeGroups }),
            this.addon(name, eksCluster, "aws-efs-csi-driver", { serviceAccountRoleArn: efsCsi.role.arn },
                { ...awsOpts, dependsOn: [...nodeGroups, efsCsi.attachment] }),
            // Since EKS 1.30 nothing provisions volumes without it (and no class is the default).
            this.addon(name, eksCluster, "aws-ebs-csi-driver", { serviceAccountRoleArn: ebsCsi.role.arn },
                { ...awsOpts, dependsOn: [...nodeGroups, ebsCsi.attachment] }),
        ];
        const access = new ClusterAccess(`${name}-access`, {
            clusterName: eksCluster.name,
            region: spec.region,
            principals: { admins: spec.admins, viewers: spec.viewers },
        }, componentOpts);

        this.kubeconfig = pulumi.secret(pulumi.all([eksCluster.name, eksCluster.endpoint, eksCluster.certificateAuthority])
            .apply(([clusterName, endpoint, ca]) => eksKubeconfig({
                clusterName, endpoint, certificateAuthorityData: ca.data ?? "", region: spec.region,
            })));
        this.kubeProvider = new k8s.Provider(`${name}-k8s`, {
            kubeconfig: this.kubeconfig,
            // The ARN, not the kubeconfig, identifies the cluster: new credentials must not replace every resource.
            clusterIdentifier: eksCluster.arn,
        }, {
            parent: this,
            // Whoever runs `up` (the CI deploy role, another operator) reaches the cluster only once their access
            // entry exists; the hub's database claim needs the EBS driver.
            dependsOn: [...nodeGroups, ...nodeAddons, ...clusterAddons, ...access.associations],
        });
        this.defaultStorageClass = new k8s.storage.v1.StorageClass(`${name}-default-storage-class`, defaultStorageClassArgs(),
            { parent: this, provider: this.kubeProvider });

        new ClusterAutoscaler(`${name}-autoscaler`, {
            clusterName: eksCluster.name,
            kubernetesVersion: spec.kubernetesVersion,
            region: spec.region,
            roleName: `${name}-autoscaler`,
            oidcProviderArn: oidcProvider.arn,
            issuerUrl: this.oidcIssuerUrl,
            nodeSelector: { [NODE_PURPOSE_LABEL]: "core" },
            kubeProvider: this.kubeProvider,
            awsProvider: provider,
        }, { parent: this });

        const gpuPoolKeys = Object.keys(spec.nodePools).filter(poolKey => spec.nodePools[poolKey].gpu);
        if (gpuPoolKeys.length > 0) {
            new NvidiaDevicePlugin(`${name}-nvidia-device-plugin`, { gpuPoolKeys, kubeProvider: this.kubeProvider }, { parent: this });
        }

        const home = spec.homeStorage;
        this.homeStorage = home.type === "nfs-server"
            ? new HomeDisks(`${name}-home-disks`, {
                clusterKey: name, spec: home, hubKeys: hubsWithHomes(args.hubs), zone: coreZone(name, spec.nodePools, network.privateSubnets),
            }, componentOpts)
            : new HomeStorage(`${name}-homes`, {
                clusterName: name,
                vpcId: network.vpcId,
                subnets: network.privateSubnets,
                nodeSecurityGroupId: eksCluster.vpcConfig.apply(vpc => vpc.clusterSecurityGroupId as string),
                hubKeys: hubsWithHomes(args.hubs),
            }, componentOpts);

        const bucketNames = Object.fromEntries(Object.entries(spec.buckets).map(([key, bucket]) =>
            [key, bucketFullName(name, "aws", key, bucket)]));
        const identities: Record<string, HubIdentity> = {};
        const bucketUsers: Record<string, BucketUser[]> = {};
        const hubBuckets: Record<string, string[]> = {};
        for (const [hubKey, hub] of Object.entries(args.hubs)) {
            const access = hub.cloudAccess;
            if (!access) continue;
            const grants: { key: string; access: BucketAccessLevel }[] = [
                ...access.bucketAdminAccess.map(key => ({ key, access: "admin" as const })),
                ...access.bucketReadonlyAccess.map(key => ({ key, access: "readonly" as const })),
            ];
            for (const grant of grants) {
                if (!(grant.key in bucketNames)) {
                    throw new Error(`hubs.${hubKey}.cloudAccess: no bucket "${grant.key}" on cluster ${name} (add it under clusters.${name}.buckets)`);
                }
            }
            identities[hubKey] = new HubIdentity(`${name}-hub-${hubKey}`, {
                roleName: hubIdentityName(name, hubKey),
                namespace: hubKey,
                oidcProviderArn: oidcProvider.arn,
                issuerUrl: this.oidcIssuerUrl,
                buckets: grants.map(g => ({ arn: bucketArn(spec.region, bucketNames[g.key]), access: g.access })),
                extraIamPolicy: access.extraIamPolicy,
                tags: fleetTags(name, hubKey),
            }, componentOpts);
            for (const grant of grants) {
                (bucketUsers[grant.key] ??= []).push({ roleArn: identities[hubKey].roleArn, access: grant.access });
            }
            hubBuckets[hubKey] = grants.map(g => g.key);
        }

        const buckets = new Buckets(`${name}-buckets`, { buckets: spec.buckets, names: bucketNames, users: bucketUsers }, componentOpts);
        this.buckets = buckets.refs;
        this.bucketPolicies = buckets.policies;
        this.identities = identities;
        this.hubBuckets = hubBuckets;
        this.hubRoleArns = Object.fromEntries(Object.entries(identities).map(([hubKey, identity]) => [hubKey, identity.roleArn]));
        if (spec.budget) new aws.budgets.Budget(`${name}-budget`, awsBudgetArgs(name, spec.budget), awsOpts);
        this.vpcId = network.vpcId;
        this.homeFileSystemId = this.homeStorage instanceof HomeStorage ? this.homeStorage.fileSystemId : undefined;

        this.registerOutputs({
            clusterName: this.clusterName,
            clusterArn: this.clusterArn,
            kubeconfig: this.kubeconfig,
            oidcProviderArn: this.oidcProviderArn,
            vpcId: this.vpcId,
            homeFileSystemId: this.homeFileSystemId,
            buckets: Object.fromEntries(Object.entries(this.buckets).map(([key, ref]) => [key, ref.url])),
            hubRoleArns: this.hubRoleArns,
        });
    }

    homeVolume(hubKey: string): HomeVolume {
        return this.homeStorage.homeVolume(hubKey);
    }

    hubAccess(hubKey: string): HubAccess {
        const hub = this.hubs[hubKey];
        if (!hub) {
            throw new Error(`hub "${hubKey}" is not on cluster ${this.clusterKey} (hubs here: ${Object.keys(this.hubs).join(", ") || "none"})`);
        }
        const env: Record<string, pulumi.Input<string>> = { ...bucketEnvVars(hub, this.buckets), AWS_DEFAULT_REGION: this.region };
        const identity = this.identities[hubKey];
        if (!identity) {
            return baseHubAccess({ env, dependsOn: [this.defaultStorageClass] });
        }
        const usedBuckets = this.hubBuckets[hubKey];
        return baseHubAccess({
            serviceAccountAnnotations: { "eks.amazonaws.com/role-arn": identity.roleArn },
            identity: identity.roleArn,
            env,
            // IRSA credentials come from a projected token, not the instance metadata endpoint.
            cloudMetadata: "block",
            dependsOn: [this.defaultStorageClass, ...identity.policies, ...usedBuckets.map(key => this.bucketPolicies[key])],
            reachableBuckets: grantedBuckets(hub),
        });
    }

    /**
     * `tags` (autoScalingGroupTags) on the Auto Scaling group EKS made for `nodeGroup`: EKS does not copy node
     * group tags to it, so each is a tag resource of its own on the group (terraform-provider-aws
     * website/docs/r/autoscaling_group_tag.html.markdown: for "ASGs implicitly created by EKS Node Groups").
     */
    private tagAutoScalingGroup(name: string, nodeGroup: aws.eks.NodeGroup, tags: readonly AutoScalingGroupTag[], opts: pulumi.CustomResourceOptions): void {
        const groupName = nodeGroup.resources.apply(resources => resources[0].autoscalingGroups[0].name);
        for (const tag of tags) {
            new aws.autoscaling.Tag(`${name}-${tag.key.replace(AUTOSCALER_TAG_PREFIX, "")}`, { autoscalingGroupName: groupName, tag }, opts);
        }
    }

    /** An IAM role for an AWS service, with managed policies attached (resources wait on the attachments). */
    private serviceRole(name: string, service: string, policies: readonly string[], opts: pulumi.CustomResourceOptions) {
        const role = new aws.iam.Role(name, { assumeRolePolicy: serviceTrustPolicy(service) }, opts);
        const attachments = policies.map(policy => new aws.iam.RolePolicyAttachment(`${name}-${policy}`, {
            role: role.name,
            policyArn: managedPolicyArn(this.region, policy),
        }, opts));
        return { role, attachments };
    }

    /** An add-on's IRSA role with one AWS managed policy (the add-on waits on the attachment). */
    private addonRole(name: string, assumeRolePolicy: pulumi.Input<string>, managedPolicy: string, opts: pulumi.CustomResourceOptions) {
        const role = new aws.iam.Role(name, { name, assumeRolePolicy }, opts);
        const attachment = new aws.iam.RolePolicyAttachment(name, {
            role: role.name,
            policyArn: managedPolicyArn(this.region, managedPolicy),
        }, opts);
        return { role, attachment };
    }

    private addon(name: string, cluster: aws.eks.Cluster, addonName: string, extra: Partial<aws.eks.AddonArgs>,
        opts: pulumi.CustomResourceOptions): aws.eks.Addon {
        return new aws.eks.Addon(`${name}-${addonName}`, {
            clusterName: cluster.name,
            addonName,
            // EKS installs self-managed copies at creation; take them over rather than fail on the conflict.
            resolveConflictsOnCreate: "OVERWRITE",
            resolveConflictsOnUpdate: "OVERWRITE",
            ...extra,
        }, opts);
    }
}
