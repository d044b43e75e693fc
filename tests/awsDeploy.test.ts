/**
 * AWS hubs that come up on a real account, stay up, and grant no more than they should (issue 11, AWS part):
 * each item as the program registers it (recorded inputs and dependencies), with the source it was checked
 * against next to the assertion.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { AwsClusterSpec, FleetConfigError, parseFleetConfig } from "../components/config";
import { CLUSTER_AUTOSCALER_IMAGE_TAGS } from "../components/aws/autoscalerRelease";
import { hubBucketAccessPolicy, irsaPrefixTrustPolicy, S3_ADMIN_ACTIONS } from "../components/aws/policies";
import { accessEntryKey, parsePrincipalArn } from "../components/aws/principals";
import { poolSubnetKeys } from "../components/aws/zones";
import { trustStatementProblems } from "../policies/rules/iam";
import { listStacks, readStackFile } from "../scripts/stackConfig";
import { awsCluster, githubHub } from "./fixtures";
import { DEFAULT_OUTPUTS, MockRecorder, settleRegistrations, unwrapSecret, useMocks, valueOf } from "./harness";

const ROOT = path.join(__dirname, "..");
const ISSUER_HOST = "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
const DEPLOY = "arn:aws:iam::123456789012:role/jupyterhub-fleet-deploy";
const SSO_ADMIN = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/us-west-2/AWSReservedSSO_Admin_0123456789abcdef";
const PREVIEW = "arn:aws:iam::123456789012:role/jupyterhub-fleet-preview";

function configErrors(raw: Record<string, unknown>): string[] {
    try {
        parseFleetConfig(raw, { stack: "test" });
        return [];
    } catch (error) {
        if (error instanceof FleetConfigError) return [...error.problems];
        throw error;
    }
}

/** A one-cluster fleet whose AWS cluster has these fields on top of the fixture's. */
function fleetWith(cluster: Record<string, unknown>): Record<string, unknown> {
    return {
        clusters: { uw2: awsCluster(cluster) },
        hubs: { research: githubHub("uw2") },
        hubSecrets: { research: { auth: { clientSecret: "s" } } },
    };
}

describe("AWS on a real account (issue 11)", function () {
    this.timeout(60000);
    let recorder: MockRecorder;
    let recorded: MockRecorder;
    /** Computed outputs the mock returned, by `type::name`. */
    const returned = new Map<string, Record<string, any>>();
    const inputs = (type: string, name: string) => recorder.get(type, name).inputs;
    const policyOf = (value: unknown) => JSON.parse(unwrapSecret(value).value);
    /** Whether `type::name` was registered depending on the resource named `dependency` of `dependencyType`. */
    const waitsFor = (type: string, name: string, dependencyType: string, dependency: string) =>
        (recorded.sent.get(`${type}::${name}`)?.dependencies ?? []).some(urn => urn.endsWith(`${dependencyType}::${dependency}`));

    before(async () => {
        const outputs = Object.fromEntries(Object.entries(DEFAULT_OUTPUTS).map(([type, fn]) => [type,
            (name: string, i: Record<string, any>) => {
                const out: Record<string, any> = { ...fn(name, i) };
                if (type === "aws:iam/role:Role") out.arn = `${out.arn}-returned`;
                returned.set(`${type}::${name}`, out);
                return out;
            }]));
        recorder = useMocks({ stack: "test", outputs });
        
        const { deployFleet } = await import("../components/fleet");
        const config = parseFleetConfig({
            clusters: {
                uw2: awsCluster({
                    admins: [SSO_ADMIN, DEPLOY],
                    viewers: [PREVIEW],
                    // Listed out of alphabetical order: the core pool follows the first zone listed.
                    network: { availabilityZones: ["us-west-2c", "us-west-2a", "us-west-2b"] },
                    nodePools: {
                        core: { machineType: "r5.xlarge", minNodes: 1, maxNodes: 3 },
                        user: { machineType: "r5.4xlarge", minNodes: 0, maxNodes: 20 },
                        gpu: { machineType: "g5.xlarge", minNodes: 0, maxNodes: 4, zones: ["us-west-2a"], diskSizeGb: 200, gpu: { count: 1 } },
                    },
                }),
                ex1: {
                    provider: "aws", region: "eu-west-1", kubernetesVersion: "1.35", deletionProtection: false,
                    publicAccessCidrs: ["203.0.113.0/24", "198.51.100.7/32"],
                    network: { vpcId: "vpc-0aaa", subnetIds: ["subnet-0aaa", "subnet-0bbb"], availabilityZones: ["eu-west-1a", "eu-west-1b"] },
                    nodePools: {
                        core: { machineType: "m5.large", minNodes: 1, maxNodes: 2, zones: ["eu-west-1b"] },
                        user: { machineType: "m5.xlarge", minNodes: 0, maxNodes: 4 },
                    },
                },
            },
            hubs: {
                research: githubHub("uw2"),
                // Each hub on its own host name, which the config requires.
                outreach: githubHub("uw2", { cloudAccess: undefined, bucketEnv: {}, domain: "outreach.hub.example.org" }),
                lab: githubHub("ex1", { cloudAccess: undefined, bucketEnv: {}, domain: "lab.hub.example.org" }),
            },
            hubSecrets: Object.fromEntries(["research", "outreach", "lab"].map(h => [h, { auth: { clientSecret: "s" } }])),
        }, { stack: "test" });
        const fleet = deployFleet(config);
        await valueOf(fleet.outputs.kubeconfigs);
        await settleRegistrations(recorder);
        recorded = recorder;
    });

    describe("the hub can start: EBS CSI driver and a default StorageClass", () => {
        it("installs aws-ebs-csi-driver on its own role, trusted by the controller's account only, with the AWS managed policy", () => {
            // EKS user guide, storage/ebs-csi.adoc ("Create an Amazon EBS CSI driver IAM role"): trust pinned to
            // kube-system:ebs-csi-controller-sa and sts.amazonaws.com, policy service-role/AmazonEBSCSIDriverPolicy.
            const addon = inputs("aws:eks/addon:Addon", "uw2-aws-ebs-csi-driver");
            assert.strictEqual(addon.addonName, "aws-ebs-csi-driver");
            assert.strictEqual(addon.serviceAccountRoleArn, returned.get("aws:iam/role:Role::uw2-ebs-csi")!.arn);
            assert.deepStrictEqual(policyOf(inputs("aws:iam/role:Role", "uw2-ebs-csi").assumeRolePolicy).Statement[0].Condition, {
                StringEquals: {
                    [`${ISSUER_HOST}:aud`]: "sts.amazonaws.com",
                    [`${ISSUER_HOST}:sub`]: "system:serviceaccount:kube-system:ebs-csi-controller-sa",
                },
            });
            assert.strictEqual(inputs("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "uw2-ebs-csi").policyArn,
                "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy");
            assert.ok(waitsFor("aws:eks/addon:Addon", "uw2-aws-ebs-csi-driver", "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "uw2-ebs-csi"));
            assert.ok(waitsFor("aws:eks/addon:Addon", "uw2-aws-ebs-csi-driver", "aws:eks/nodeGroup:NodeGroup", "uw2-pool-core"),
                "the controller needs a node to run on");
        });

        it("makes an encrypted gp3 class the cluster default: WaitForFirstConsumer, Retain", () => {
            // aws-ebs-csi-driver docs/parameters.md (type, encrypted); Kubernetes "Change the default StorageClass"
            // (storageclass.kubernetes.io/is-default-class); z2jh's hub-db-dir claim names no class.
            const storageClass = recorder.get("kubernetes:storage.k8s.io/v1:StorageClass", "uw2-default-storage-class");
            assert.deepStrictEqual(storageClass.inputs, {
                apiVersion: "storage.k8s.io/v1",
                kind: "StorageClass",
                metadata: { name: "gp3", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
                provisioner: "ebs.csi.aws.com",
                parameters: { type: "gp3", encrypted: "true" },
                volumeBindingMode: "WaitForFirstConsumer",
                reclaimPolicy: "Retain",
                allowVolumeExpansion: true,
            });
            assert.ok(storageClass.provider?.includes("::uw2-k8s::"), "created in the cluster it serves");
        });

        it("makes every hub's release wait for the class, and the cluster's Kubernetes provider for the driver", () => {
            for (const hub of ["research", "outreach"]) {
                assert.ok(waitsFor("kubernetes:helm.sh/v3:Release", `${hub}-release`, "kubernetes:storage.k8s.io/v1:StorageClass", "uw2-default-storage-class"),
                    `${hub}'s release must wait for the default class: ${recorded.sent.get(`kubernetes:helm.sh/v3:Release::${hub}-release`)?.dependencies}`);
                assert.ok(recorder.get("kubernetes:helm.sh/v3:Release", `${hub}-release`).provider?.includes("::uw2-k8s::"));
            }
            assert.ok(waitsFor("pulumi:providers:kubernetes", "uw2-k8s", "aws:eks/addon:Addon", "uw2-aws-ebs-csi-driver"));
        });

        it("keeps core nodes in one zone, where the hub's database volume is made and can always be attached", () => {
            // An EBS volume lives in one zone and its PV carries a node affinity to that zone (the driver reports
            // the zone as the volume's accessible topology): the hub pod can only ever run on core nodes there.
            const subnetZone = (id: string) => id.replace(/^.*-private-/, "").replace(/-id$/, "");
            const zonesOf = (pool: string) => (inputs("aws:eks/nodeGroup:NodeGroup", `uw2-pool-${pool}`).subnetIds as string[]).map(subnetZone);
            assert.deepStrictEqual(zonesOf("core"), ["us-west-2c"], "the first zone listed");
            assert.deepStrictEqual(zonesOf("user").sort(), ["us-west-2a", "us-west-2b", "us-west-2c"]);
            assert.deepStrictEqual(zonesOf("gpu"), ["us-west-2a"]);
            assert.deepStrictEqual(inputs("aws:eks/nodeGroup:NodeGroup", "ex1-pool-core").subnetIds, ["subnet-0bbb"]);
            assert.deepStrictEqual(inputs("aws:eks/nodeGroup:NodeGroup", "ex1-pool-user").subnetIds, ["subnet-0aaa", "subnet-0bbb"]);
            // The control plane still spans every zone.
            assert.strictEqual(inputs("aws:eks/cluster:Cluster", "uw2-eks").vpcConfig.subnetIds.length, 3);
        });

        it("refuses core pools that could take the hub away from its volume", () => {
            const core = (extra: Record<string, unknown>) => ({ machineType: "r5.xlarge", minNodes: 1, maxNodes: 2, ...extra });
            const user = { machineType: "r5.xlarge", minNodes: 0, maxNodes: 2 };
            assert.deepStrictEqual(configErrors(fleetWith({ nodePools: { core: core({ zones: ["us-west-2a", "us-west-2b"] }), user } })), [
                "clusters.uw2.nodePools.core.zones: a core pool runs in one zone: the hub's database is an EBS volume, which stays in the zone it was made in (keep one zone, e.g. zones: [us-west-2a])",
            ]);
            assert.deepStrictEqual(configErrors(fleetWith({
                nodePools: { core: core({ zones: ["us-west-2b"] }), "core-big": core({ purpose: "core" }), user },
            })), [
                "clusters.uw2.nodePools: core pools run in different zones (core: us-west-2b, core-big: us-west-2a); a hub moved to another core pool could not reach its EBS database volume (give every core pool the same zones: [<zone>])",
            ]);
            assert.deepStrictEqual(configErrors(fleetWith({ nodePools: { core: core({ zones: ["us-west-2d"] }), user } })), [
                "clusters.uw2.nodePools.core.zones: the cluster has no subnet in us-west-2d (use one of us-west-2a, us-west-2b, us-west-2c)",
            ]);
            assert.deepStrictEqual(configErrors(fleetWith({ nodePools: { core: core({}), user: { ...user, zones: ["us-west-2b", "us-west-2b"] } } })), [
                "clusters.uw2.nodePools.user.zones: us-west-2b is listed twice (list each zone once)",
            ]);
            assert.deepStrictEqual(configErrors(fleetWith({
                network: { vpcId: "vpc-0aaa", subnetIds: ["subnet-0aaa", "subnet-0bbb"] },
                nodePools: { core: core({ zones: ["us-west-2a"] }), "core-big": core({ purpose: "core" }), user },
            })), [
                "clusters.uw2.nodePools.core.zones: the zones of an existing VPC's subnets are not known here (add network.availabilityZones: the zone of each of network.subnetIds, in the same order)",
            ]);
            assert.throws(() => poolSubnetKeys("core", core({ zones: ["us-west-2d"] }) as any, [{ key: "us-west-2a", zone: "us-west-2a" }]),
                /no private subnet in us-west-2d/);
        });

        it("offers zones on GKE pools too, within the cluster's region", () => {
            const errors = configErrors({
                clusters: {
                    gke: {
                        provider: "gcp", project: "example-project", region: "us-central1", zone: "us-central1-b", kubernetesVersion: "1.33",
                        nodePools: {
                            core: { machineType: "n2-standard-2", minNodes: 1, maxNodes: 1, zones: ["us-central1-b"] },
                            user: { machineType: "n2-standard-4", minNodes: 0, maxNodes: 3, zones: ["us-central1-a", "us-east1-b"] },
                        },
                    },
                },
                hubs: {},
            });
            assert.deepStrictEqual(errors, [
                "clusters.gke.nodePools.user.zones: us-east1-b is not a zone of the cluster's region us-central1 (use zones such as us-central1-a, us-central1-b)",
            ]);
        });
    });

    describe("network policies are enforced", () => {
        it("turns on the VPC CNI network policy agent, as deterministic JSON", () => {
            // EKS user guide, networking/eks-networking-add-ons.adoc: configuration values {"enableNetworkPolicy": "true"}.
            const cni = inputs("aws:eks/addon:Addon", "uw2-vpc-cni");
            assert.strictEqual(cni.configurationValues, "{\"enableNetworkPolicy\":\"true\"}");
            assert.deepStrictEqual(JSON.parse(cni.configurationValues), { enableNetworkPolicy: "true" });
        });
    });

    describe("who can reach the cluster", () => {
        it("gives each admin and viewer an access entry with its EKS policy at cluster scope, named from the ARN", () => {
            // pulumi-aws eks.AccessEntry / eks.AccessPolicyAssociation; EKS user guide access-policy-reference.adoc
            // (arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy, AmazonEKSViewPolicy).
            const entries = recorder.ofType("aws:eks/accessEntry:AccessEntry").filter(r => r.name.startsWith("uw2-"));
            assert.deepStrictEqual(entries.map(r => [r.name, r.inputs.principalArn, r.inputs.type]).sort(), [
                ["uw2-access-123456789012-role/aws-reserved/sso.amazonaws.com/us-west-2/AWSReservedSSO_Admin_0123456789abcdef", SSO_ADMIN, "STANDARD"],
                ["uw2-access-123456789012-role/jupyterhub-fleet-deploy", DEPLOY, "STANDARD"],
                ["uw2-access-123456789012-role/jupyterhub-fleet-preview", PREVIEW, "STANDARD"],
            ]);
            const association = (arn: string) => inputs("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", `uw2-access-${accessEntryKey(arn)}`);
            for (const arn of [DEPLOY, SSO_ADMIN]) {
                assert.strictEqual(association(arn).policyArn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy");
                assert.deepStrictEqual(association(arn).accessScope, { type: "cluster" });
            }
            assert.strictEqual(association(PREVIEW).policyArn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy");
            assert.ok(waitsFor("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", `uw2-access-${accessEntryKey(PREVIEW)}`,
                "aws:eks/accessEntry:AccessEntry", `uw2-access-${accessEntryKey(PREVIEW)}`), "an association needs its entry");
            assert.deepStrictEqual(recorder.ofType("aws:eks/accessEntry:AccessEntry").filter(r => r.name.startsWith("ex1-")), []);
        });

        it("makes the Kubernetes provider, and so everything in the cluster, wait for every association", () => {
            for (const arn of [DEPLOY, SSO_ADMIN, PREVIEW]) {
                assert.ok(waitsFor("pulumi:providers:kubernetes", "uw2-k8s", "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
                    `uw2-access-${accessEntryKey(arn)}`), arn);
            }
        });

        it("keeps the creator's bootstrap entry (changing it would replace the cluster)", () => {
            // hashicorp/terraform-provider-aws internal/service/eks/cluster.go: bootstrap_cluster_creator_admin_permissions ForceNew.
            assert.deepStrictEqual(inputs("aws:eks/cluster:Cluster", "uw2-eks").accessConfig,
                { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true });
        });

        it("names entries by principal, so reordering or removing one renames nothing", () => {
            assert.strictEqual(accessEntryKey(DEPLOY), "123456789012-role/jupyterhub-fleet-deploy");
            assert.strictEqual(accessEntryKey("arn:aws:iam::210987654321:user/alice"), "210987654321-user/alice");
            assert.notStrictEqual(accessEntryKey("arn:aws:iam::123456789012:role/ci/deploy"), accessEntryKey("arn:aws:iam::123456789012:role/ci-deploy"));
            assert.deepStrictEqual(parsePrincipalArn("arn:aws-us-gov:iam::123456789012:role/x"),
                { partition: "aws-us-gov", account: "123456789012", kind: "role", name: "x" });
        });

        it("refuses sessions, non-IAM ARNs, other partitions and a principal in both lists", () => {
            assert.deepStrictEqual(configErrors(fleetWith({
                admins: ["arn:aws:sts::123456789012:assumed-role/jupyterhub-fleet-deploy/GitHubActions", "deploy", "arn:aws-cn:iam::123456789012:role/x", PREVIEW],
                viewers: [PREVIEW, PREVIEW],
            })), [
                "clusters.uw2.admins[0]: \"arn:aws:sts::123456789012:assumed-role/jupyterhub-fleet-deploy/GitHubActions\" is not an IAM role or user ARN " +
                    "(that is a session of a role: give the role itself, arn:aws:iam::123456789012:role/<path/>jupyterhub-fleet-deploy " +
                    "(aws iam get-role --role-name jupyterhub-fleet-deploy prints it with its path))",
                "clusters.uw2.admins[1]: \"deploy\" is not an IAM role or user ARN (give an IAM role or user ARN such as arn:aws:iam::123456789012:role/jupyterhub-fleet-deploy, path included)",
                "clusters.uw2.admins[2]: \"arn:aws-cn:iam::123456789012:role/x\" is in the aws-cn partition, and us-west-2 is in aws (use the principal's arn:aws:… ARN)",
                `clusters.uw2.viewers[0]: "${PREVIEW}" is also listed in admins (EKS keeps one access entry per principal: keep it in admins or in viewers)`,
                `clusters.uw2.viewers[1]: "${PREVIEW}" is also listed in viewers (list it once)`,
            ]);
        });
    });

    describe("sizes and modes", () => {
        it("gives nodes 50 GiB (core) or 100 GiB (user) root disks unless diskSizeGb says otherwise", () => {
            const disk = (cluster: string, pool: string) => inputs("aws:eks/nodeGroup:NodeGroup", `${cluster}-pool-${pool}`).diskSize;
            assert.deepStrictEqual([disk("uw2", "core"), disk("uw2", "user"), disk("uw2", "gpu"), disk("ex1", "core")], [50, 100, 200, 50]);
        });

        it("runs EFS in elastic throughput", () => {
            assert.strictEqual(inputs("aws:efs/fileSystem:FileSystem", "uw2-homes-fs").throughputMode, "elastic");
        });

        it("creates the control-plane log group, with a retention, before the cluster", () => {
            // terraform-provider-aws website/docs/r/eks_cluster.html.markdown, "Enabling Control Plane Logging":
            // /aws/eks/<cluster-name>/cluster, created first (EKS would create it without a retention).
            assert.deepStrictEqual(inputs("aws:cloudwatch/logGroup:LogGroup", "uw2-control-plane-logs"),
                { name: "/aws/eks/uw2/cluster", retentionInDays: 90 });
            assert.ok(waitsFor("aws:eks/cluster:Cluster", "uw2-eks", "aws:cloudwatch/logGroup:LogGroup", "uw2-control-plane-logs"));
            assert.ok(recorder.get("aws:cloudwatch/logGroup:LogGroup", "uw2-control-plane-logs").provider?.includes("::uw2-aws::"));
        });

        it("opens the API endpoint to publicAccessCidrs (default anyone, as EKS does) and opts out of extended support", () => {
            // terraform-provider-aws docs: public_access_cidrs "EKS defaults this to a list with 0.0.0.0/0".
            assert.deepStrictEqual(inputs("aws:eks/cluster:Cluster", "uw2-eks").vpcConfig.publicAccessCidrs, ["0.0.0.0/0"]);
            assert.deepStrictEqual(inputs("aws:eks/cluster:Cluster", "ex1-eks").vpcConfig.publicAccessCidrs, ["203.0.113.0/24", "198.51.100.7/32"]);
            for (const cluster of ["uw2", "ex1"]) {
                assert.deepStrictEqual(inputs("aws:eks/cluster:Cluster", `${cluster}-eks`).upgradePolicy, { supportType: "STANDARD" });
            }
            assert.deepStrictEqual(configErrors(fleetWith({ publicAccessCidrs: ["203.0.113.7/24", "example.org", "::/0"] })), [
                "clusters.uw2.publicAccessCidrs[0]: \"203.0.113.7/24\" has host bits set, which EKS refuses (use the network address, 203.0.113.0/24)",
                "clusters.uw2.publicAccessCidrs[1]: \"example.org\" is not an IPv4 CIDR block (write it like 203.0.113.0/24)",
                "clusters.uw2.publicAccessCidrs[2]: \"::/0\" is not an IPv4 CIDR block (write it like 203.0.113.0/24)",
            ]);
        });

        it("pins every example AWS cluster to a version in EKS standard support through 2026-12, with an autoscaler image", () => {
            // End of standard support: EKS user guide versioning/kubernetes-versions.adoc, "Amazon EKS Kubernetes
            // release calendar" (1.33: July 29, 2026); 1.34 and 1.35 from the same calendar as republished by
            // endoflife.date/amazon-eks and aws-samples/sample-apex-skills (cluster-lifecycle, verified 2026-04-24).
            const endOfStandardSupport: Record<string, string> = { "1.33": "2026-07-29", "1.34": "2026-12-02", "1.35": "2027-03-27" };
            let checked = 0;
            for (const stack of listStacks(ROOT)) {
                const clusters = JSON.parse(readStackFile(stack, ROOT).config["jupyterhub-fleet:clusters"]) as Record<string, any>;
                for (const [key, cluster] of Object.entries(clusters).filter(([, c]) => c.provider === "aws")) {
                    const end = endOfStandardSupport[cluster.kubernetesVersion];
                    assert.ok(end && end >= "2027-01-01", `${stack} ${key}: Kubernetes ${cluster.kubernetesVersion} leaves standard support on ${end ?? "an unknown date"}`);
                    assert.ok(cluster.kubernetesVersion in CLUSTER_AUTOSCALER_IMAGE_TAGS, `${stack} ${key}: no autoscaler image`);
                    checked++;
                }
            }
            assert.ok(checked >= 2, "the staging and prod AWS clusters");
        });
    });

    describe("storage CSI trust and buckets", () => {
        it("lets the EFS driver's controller and node accounts assume its role, and the policy pack accepts that shape only", () => {
            // EKS user guide, storage/efs-csi.adoc: StringLike sub system:serviceaccount:kube-system:efs-csi-*.
            const [statement] = policyOf(inputs("aws:iam/role:Role", "uw2-efs-csi").assumeRolePolicy).Statement;
            assert.deepStrictEqual(statement.Condition, {
                StringEquals: { [`${ISSUER_HOST}:aud`]: "sts.amazonaws.com" },
                StringLike: { [`${ISSUER_HOST}:sub`]: "system:serviceaccount:kube-system:efs-csi-*" },
            });
            assert.deepStrictEqual(trustStatementProblems(statement), []);
            const widened = (sub: string) => trustStatementProblems({ ...statement, Condition: { ...statement.Condition, StringLike: { [`${ISSUER_HOST}:sub`]: sub } } });
            assert.ok(widened("system:serviceaccount:kube-system:*").length > 0, "every kube-system account");
            assert.ok(widened("system:serviceaccount:research:efs-csi-*").length > 0, "a hub namespace");
            assert.ok(widened("system:serviceaccount:*:efs-csi-*").length > 0, "any namespace");
            assert.throws(() => irsaPrefixTrustPolicy("arn:aws:iam::1:oidc-provider/x", `https://${ISSUER_HOST}`, "kube-system", "efs-csi"),
                /prefix ending in "-"/);
        });

        it("versions buckets that keep their objects and expires their old versions; scratch buckets just expire", () => {
            // S3 API reference, LifecycleExpiration / NoncurrentVersionExpiration.
            assert.deepStrictEqual(inputs("aws:s3/bucketVersioning:BucketVersioning", "uw2-buckets-persistent-versioning").versioningConfiguration,
                { status: "Enabled" });
            assert.deepStrictEqual(recorder.ofType("aws:s3/bucketVersioning:BucketVersioning").map(r => r.name), ["uw2-buckets-persistent-versioning"]);
            const rules = (key: string) => inputs("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", `uw2-buckets-${key}-lifecycle`).rules;
            assert.deepStrictEqual(rules("persistent").find((r: any) => r.id === "expire-noncurrent-versions"), {
                id: "expire-noncurrent-versions", status: "Enabled", filter: {},
                noncurrentVersionExpiration: { noncurrentDays: 30 }, expiration: { expiredObjectDeleteMarker: true },
            });
            assert.ok(!rules("scratch").some((r: any) => r.noncurrentVersionExpiration));
            assert.ok(waitsFor("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "uw2-buckets-persistent-lifecycle",
                "aws:s3/bucketVersioning:BucketVersioning", "uw2-buckets-persistent-versioning"));
        });

        it("lets users delete objects (a restorable delete marker) but not purge versions", async () => {
            assert.ok(!S3_ADMIN_ACTIONS.includes("s3:DeleteObjectVersion"));
            const bucket = "arn:aws:s3:::uw2-persistent";
            const decide = async (action: string) => (await runSimulation({
                identityPolicies: [{ name: "buckets", policy: JSON.parse(hubBucketAccessPolicy([{ bucketArn: bucket, access: "admin" }])) }],
                serviceControlPolicies: [], resourceControlPolicies: [],
                request: { action, principal: "arn:aws:iam::123456789012:role/uw2-research", resource: { accountId: "123456789012", resource: `${bucket}/alice/x.nc` }, contextVariables: {} },
            }, {}) as any).overallResult;
            assert.strictEqual(await decide("s3:DeleteObject"), "Allowed");
            assert.strictEqual(await decide("s3:DeleteObjectVersion"), "ImplicitlyDenied");
        });
    });

    describe("existing VPC", () => {
        it("checks subnets against the zones given beside them", () => {
            const existing = (network: Record<string, unknown>) => configErrors(fleetWith({ network: { vpcId: "vpc-0aaa", ...network } }));
            assert.deepStrictEqual(existing({ subnetIds: ["subnet-0aaa", "subnet-0bbb"], availabilityZones: ["us-west-2a", "us-west-2a"] }), [
                "clusters.uw2.network.availabilityZones: us-west-2a is listed twice (EFS takes one mount target per zone, so subnetIds must be in distinct zones: list one private subnet per zone)",
            ]);
            assert.deepStrictEqual(existing({ subnetIds: ["subnet-0aaa", "subnet-0bbb", "subnet-0ccc"], availabilityZones: ["us-west-2a", "us-west-2b"] }), [
                "clusters.uw2.network.availabilityZones: 2 zones for 3 subnets (with an existing VPC, availabilityZones gives the zone of each subnet in subnetIds, in the same order)",
            ]);
            assert.deepStrictEqual(existing({ subnetIds: ["subnet-0aaa", "subnet-0aaa"] }), [
                "clusters.uw2.network.subnetIds: subnet-0aaa is listed twice (list each subnet once, one per zone)",
            ]);
            assert.deepStrictEqual(existing({ subnetIds: ["subnet-0aaa", "subnet-0bbb"], availabilityZones: ["us-west-2a", "us-west-2b"] }), []);
            assert.deepStrictEqual(configErrors(fleetWith({ network: { vpcId: "vpc-0aaa", vpcCidr: "10.0.0.0/16", subnetIds: ["subnet-0aaa", "subnet-0bbb"] } })), [
                "clusters.uw2.network: both an existing VPC (vpcId) and a new one (vpcCidr) are given (keep vpcId + subnetIds for an existing VPC, or vpcCidr for a new one)",
            ]);
        });

        it("documents the subnet tags load balancers need", () => {
            // EKS user guide, networking/network-reqs.adoc: public subnets kubernetes.io/role/elb = 1, private
            // subnets kubernetes.io/role/internal-elb = 1.
            const doc = fs.readFileSync(path.join(ROOT, "docs", "aws.md"), "utf8");
            assert.match(doc, /\*\*public\*\* subnets `kubernetes\.io\/role\/elb` = `1`/);
            assert.match(doc, /kubernetes\.io\/role\/internal-elb` = `1`/);
        });
    });

    it("keeps the CI's AWS session as long as the job may run", () => {
        // aws-actions/configure-aws-credentials: role-duration-seconds defaults to one hour (README, "Assuming a
        // Role"); IAM allows 12 hours at most.
        const workflow = parse(fs.readFileSync(path.join(ROOT, ".github", "workflows", "pulumi.yml"), "utf8"));
        const job = workflow.jobs.pulumi;
        const step = job.steps.find((s: any) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@"));
        const seconds = Number(step.with["role-duration-seconds"]);
        assert.ok(seconds >= job["timeout-minutes"] * 60 && seconds <= 43200, `${seconds} s for a ${job["timeout-minutes"]}-minute job`);
    });
});

describe("AWS cluster config defaults", () => {
    it("gives an AWS cluster no extra principals and an open endpoint unless told", () => {
        const config = parseFleetConfig(fleetWith({}), { stack: "test" });
        const cluster = config.clusters.uw2 as AwsClusterSpec;
        assert.deepStrictEqual([cluster.admins, cluster.viewers, cluster.publicAccessCidrs], [[], [], ["0.0.0.0/0"]]);
    });
});
