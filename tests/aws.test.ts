import * as assert from "assert";
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import { AwsClusterSpec, HubSpec, parseFleetConfig } from "../components/config";
import {
    bucketPolicy, clusterAutoscalerPolicy, hubBucketAccessPolicy, irsaTrustPolicy, S3_ADMIN_ACTIONS, S3_READONLY_ACTIONS,
} from "../components/aws/policies";
import { clusterAutoscalerValues } from "../components/aws/clusterAutoscaler";
import { subnetPlan } from "../components/aws/network";
import { eksKubeconfig } from "../components/aws/kubeconfig";
import { LiveNodeGroup, liveSizesByPool } from "../components/aws/nodeGroupSizes";
import { NODE_POOL_LABEL } from "../components/platform";
import { bridgedUpdateValues, engineUpdateInputs, PropertyMap } from "../scripts/engineModel/ignoreChanges";
import { awsCluster } from "./fixtures";
import { DEFAULT_OUTPUTS, isSecret, MockRecorder, settleRegistrations, unwrapSecret, useMocks, valueOf } from "./harness";
import type { SentRegistration } from "../scripts/mocks";

const ISSUER = "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
const ISSUER_HOST = ISSUER.replace("https://", "");

describe("aws policy documents", () => {
    it("pins the IRSA trust policy to one service account and the STS audience", () => {
        const doc = JSON.parse(irsaTrustPolicy("arn:aws:iam::1:oidc-provider/x", ISSUER, "research", "user-sa"));
        assert.deepStrictEqual(doc, {
            Version: "2012-10-17",
            Statement: [{
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        [`${ISSUER_HOST}:aud`]: "sts.amazonaws.com",
                        [`${ISSUER_HOST}:sub`]: "system:serviceaccount:research:user-sa",
                    },
                },
                Effect: "Allow",
                Principal: { Federated: "arn:aws:iam::1:oidc-provider/x" },
            }],
        });
    });

    it("writes one bucket statement per role, sorted, after a deny of plain HTTP", () => {
        const arn = "arn:aws:s3:::uw2-scratch";
        const doc = JSON.parse(bucketPolicy(arn, [
            { principalArn: "arn:aws:iam::1:role/b", access: "readonly" },
            { principalArn: "arn:aws:iam::1:role/a", access: "admin" },
        ]));
        assert.strictEqual(doc.Statement.length, 3);
        assert.deepStrictEqual(doc.Statement[0], {
            Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*",
            Resource: [arn, `${arn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } },
        });
        assert.deepStrictEqual(doc.Statement.slice(1).map((s: any) => [s.Principal.AWS, s.Action]),
            [["arn:aws:iam::1:role/a", S3_ADMIN_ACTIONS], ["arn:aws:iam::1:role/b", S3_READONLY_ACTIONS]]);
        assert.throws(() => bucketPolicy(arn, [
            { principalArn: "arn:aws:iam::1:role/a", access: "admin" },
            { principalArn: "arn:aws:iam::1:role/a", access: "readonly" },
        ]), /granted twice/);
    });

    it("is byte-for-byte independent of grant order", () => {
        const a = { bucketArn: "arn:aws:s3:::a", access: "admin" as const };
        const b = { bucketArn: "arn:aws:s3:::b", access: "readonly" as const };
        assert.strictEqual(hubBucketAccessPolicy([a, b]), hubBucketAccessPolicy([b, a]));
        assert.throws(() => hubBucketAccessPolicy([]), /no bucket grants/);
    });

    describe("evaluated by an IAM simulator", () => {
        const account = "123456789012";
        const bucket = "arn:aws:s3:::uw2-scratch";
        const writer = `arn:aws:iam::${account}:role/uw2-research`;
        const reader = `arn:aws:iam::${account}:role/uw2-teaching`;
        const resourcePolicy = JSON.parse(bucketPolicy(bucket, [
            { principalArn: writer, access: "admin" }, { principalArn: reader, access: "readonly" },
        ]));

        async function decide(principal: string, identityPolicy: string | undefined, action: string, resource: string,
            secure = true): Promise<string> {
            const simulation: Simulation = {
                identityPolicies: identityPolicy ? [{ name: "buckets", policy: JSON.parse(identityPolicy) }] : [],
                serviceControlPolicies: [],
                resourceControlPolicies: [],
                resourcePolicy,
                request: {
                    action, principal,
                    resource: { accountId: account, resource },
                    contextVariables: { "aws:SecureTransport": String(secure) },
                },
            };
            const response = await runSimulation(simulation, {});
            if (response.resultType === "error") throw new Error(JSON.stringify(response.errors));
            return response.overallResult;
        }

        it("lets the admin hub write and the read-only hub only read", async () => {
            const writerPolicy = hubBucketAccessPolicy([{ bucketArn: bucket, access: "admin" }]);
            const readerPolicy = hubBucketAccessPolicy([{ bucketArn: bucket, access: "readonly" }]);
            assert.strictEqual(await decide(writer, writerPolicy, "s3:PutObject", `${bucket}/alice/x.nc`), "Allowed");
            assert.strictEqual(await decide(writer, writerPolicy, "s3:ListBucket", bucket), "Allowed");
            assert.strictEqual(await decide(reader, readerPolicy, "s3:GetObject", `${bucket}/alice/x.nc`), "Allowed");
            assert.strictEqual(await decide(reader, readerPolicy, "s3:PutObject", `${bucket}/alice/x.nc`), "ImplicitlyDenied");
            assert.strictEqual(await decide(reader, readerPolicy, "s3:DeleteObject", `${bucket}/alice/x.nc`), "ImplicitlyDenied");
        });

        it("lets the cluster autoscaler resize only its own cluster's node groups", async () => {
            const policy = JSON.parse(clusterAutoscalerPolicy("uw2"));
            const asg = `arn:aws:autoscaling:us-west-2:${account}:autoScalingGroup:1:autoScalingGroupName/eks-uw2-pool-user`;
            const scale = async (action: string, tags: Record<string, string>) => {
                const response = await runSimulation({
                    identityPolicies: [{ name: "cluster-autoscaler", policy }], serviceControlPolicies: [], resourceControlPolicies: [],
                    request: {
                        action, principal: `arn:aws:iam::${account}:role/uw2-autoscaler`,
                        resource: { accountId: account, resource: asg },
                        contextVariables: Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])),
                    },
                }, {});
                if (response.resultType === "error") throw new Error(JSON.stringify(response.errors));
                return response.overallResult;
            };
            assert.strictEqual(await scale("autoscaling:SetDesiredCapacity", { "k8s.io/cluster-autoscaler/uw2": "owned" }), "Allowed");
            assert.strictEqual(await scale("autoscaling:TerminateInstanceInAutoScalingGroup", { "k8s.io/cluster-autoscaler/uw2": "owned" }), "Allowed");
            assert.strictEqual(await scale("autoscaling:SetDesiredCapacity", { "k8s.io/cluster-autoscaler/other": "owned" }), "ImplicitlyDenied");
            assert.strictEqual(await scale("autoscaling:SetDesiredCapacity", {}), "ImplicitlyDenied");
            assert.strictEqual(await scale("autoscaling:DeleteAutoScalingGroup", { "k8s.io/cluster-autoscaler/uw2": "owned" }), "ImplicitlyDenied");
        });

        it("grants through the bucket policy alone, and denies plain HTTP even to the admin hub", async () => {
            assert.strictEqual(await decide(writer, undefined, "s3:GetObject", `${bucket}/x`), "Allowed");
            const writerPolicy = hubBucketAccessPolicy([{ bucketArn: bucket, access: "admin" }]);
            assert.strictEqual(await decide(writer, writerPolicy, "s3:GetObject", `${bucket}/x`, false), "ExplicitlyDenied");
        });
    });
});

describe("aws network plan", () => {
    it("places subnets by zone letter, so reordering or adding zones moves nothing", () => {
        const abc = subnetPlan("10.100.0.0/16", "us-west-2", ["us-west-2a", "us-west-2b", "us-west-2c"]);
        assert.deepStrictEqual(abc.map(z => [z.zone, z.privateCidr, z.publicCidr]), [
            ["us-west-2a", "10.100.0.0/19", "10.100.192.0/22"],
            ["us-west-2b", "10.100.32.0/19", "10.100.196.0/22"],
            ["us-west-2c", "10.100.64.0/19", "10.100.200.0/22"],
        ]);
        const cb = subnetPlan("10.100.0.0/16", "us-west-2", ["us-west-2c", "us-west-2b"]);
        assert.deepStrictEqual(cb, [abc[2], abc[1]]);
        const f = subnetPlan("10.100.0.0/16", "us-east-1", ["us-east-1f"])[0];
        assert.deepStrictEqual([f.privateCidr, f.publicCidr], ["10.100.160.0/19", "10.100.212.0/22"]);
    });

    it("rejects a VPC too small for /28 public subnets and zones it cannot place", () => {
        assert.throws(() => subnetPlan("10.0.0.0/23", "us-west-2", ["us-west-2a"]), /network\.vpcCidr: \/23 is too small/);
        assert.doesNotThrow(() => subnetPlan("10.0.0.0/22", "us-west-2", ["us-west-2a"]));
        assert.throws(() => subnetPlan("10.0.0.1/16", "us-west-2", ["us-west-2a"]), /host bits set .*10\.0\.0\.0\/16/);
        assert.throws(() => subnetPlan("10.0.0.0/16", "us-west-2", ["us-west-2-lax-1a"]), /not a zone/);
        assert.throws(() => subnetPlan("10.0.0.0/16", "us-west-2", ["us-west-2a", "us-west-2a"]), /listed twice/);
    });
});

describe("eks kubeconfig", () => {
    it("authenticates with aws eks get-token for the cluster and region", () => {
        const config = JSON.parse(eksKubeconfig({ clusterName: "uw2", endpoint: "https://x", certificateAuthorityData: "Q0E=", region: "us-west-2" }));
        assert.strictEqual(config.clusters[0].cluster["certificate-authority-data"], "Q0E=");
        assert.strictEqual(config["current-context"], "uw2");
        assert.deepStrictEqual(config.users[0].user.exec, {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: ["eks", "get-token", "--cluster-name", "uw2", "--region", "us-west-2"],
        });
    });
});

function fleet() {
    const hub = (extra: Record<string, unknown>) => ({
        cluster: "uw2",
        auth: { type: "github", clientId: "Iv1.abc", allowedOrganizations: ["example-org"] },
        ...extra,
    });
    return parseFleetConfig({
        clusters: {
            // The shared research cluster, plus a Graviton user pool.
            uw2: awsCluster({
                nodePools: { ...awsCluster().nodePools as object, arm: { machineType: "r7g.2xlarge", minNodes: 0, maxNodes: 5 } },
            }),
            ex1: {
                provider: "aws",
                region: "eu-west-1",
                deletionProtection: false,
                kubernetesVersion: "1.33",
                network: { vpcId: "vpc-0aaa", subnetIds: ["subnet-0aaa", "subnet-0bbb"] },
                nodePools: {
                    core: { machineType: "m5.large", minNodes: 1, maxNodes: 2 },
                    user: { machineType: "m5.xlarge", minNodes: 0, maxNodes: 4 },
                },
            },
        },
        hubs: {
            research: hub({
                cloudAccess: {
                    bucketAdminAccess: ["scratch"],
                    bucketReadonlyAccess: ["persistent"],
                    extraIamPolicy: {
                        Version: "2012-10-17",
                        Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::partner-data/*"] }],
                    },
                },
                bucketEnv: { SCRATCH_BUCKET: "scratch" },
            }),
            teaching: hub({ cloudAccess: { bucketAdminAccess: ["scratch"] }, bucketEnv: { SCRATCH_BUCKET: "scratch" } }),
            outreach: hub({}),
            lab: { ...hub({}), cluster: "ex1" },
        },
        hubSecrets: Object.fromEntries(["research", "teaching", "outreach", "lab"].map(h => [h, { auth: { clientSecret: "s" } }])),
    }, { stack: "test" });
}

describe("AwsCluster (mocked)", function () {
    this.timeout(60000);
    let recorder: MockRecorder;
    let sent: Map<string, SentRegistration>;
    /** Computed outputs the mock returned, by `type::name`: what the program must wire through. */
    const returned = new Map<string, Record<string, any>>();
    let cluster: import("../components/aws/cluster").AwsCluster;
    let existing: import("../components/aws/cluster").AwsCluster;

    const inputs = (type: string, name: string) => recorder.get(type, name).inputs;
    const policyOf = (value: unknown) => JSON.parse(unwrapSecret(value).value);

    before(async () => {
        let serial = 0;
        // Wrap every default so the test can compare wiring against what the mock returned; role and OIDC
        // provider ARNs get an unguessable suffix, so an ARN rebuilt from a naming convention cannot match.
        const outputs = Object.fromEntries(Object.entries(DEFAULT_OUTPUTS).map(([type, fn]) => [type,
            (name: string, i: Record<string, any>) => {
                const out: Record<string, any> = { ...fn(name, i) };
                if (type === "aws:iam/role:Role" || type === "aws:iam/openIdConnectProvider:OpenIdConnectProvider") {
                    out.arn = `${out.arn}-mock${++serial}`;
                }
                returned.set(`${type}::${name}`, out);
                return out;
            }]));
        recorder = useMocks({ stack: "test", outputs });
        sent = recorder.sent;
        const { AwsCluster } = await import("../components/aws/cluster");
        const config = fleet();
        const hubsOn = (key: string) => Object.fromEntries(Object.entries(config.hubs).filter(([, h]) => h.cluster === key)) as Record<string, HubSpec>;
        cluster = new AwsCluster("uw2", { cluster: config.clusters.uw2 as AwsClusterSpec, hubs: hubsOn("uw2") });
        existing = new AwsCluster("ex1", { cluster: config.clusters.ex1 as AwsClusterSpec, hubs: hubsOn("ex1") });
        await valueOf(cluster.kubeconfig);
        await valueOf(existing.kubeconfig);
        await settleRegistrations(recorder);
    });

    describe("hub identity", () => {
        it("trusts only the hub's user-sa, through the cluster's OIDC provider, for the STS audience", () => {
            const trust = policyOf(inputs("aws:iam/role:Role", "uw2-hub-research-role").assumeRolePolicy);
            const [statement] = trust.Statement;
            assert.strictEqual(trust.Statement.length, 1);
            assert.strictEqual(statement.Action, "sts:AssumeRoleWithWebIdentity");
            assert.strictEqual(statement.Principal.Federated,
                returned.get("aws:iam/openIdConnectProvider:OpenIdConnectProvider::uw2-oidc")!.arn);
            assert.deepStrictEqual(statement.Condition, {
                StringEquals: {
                    [`${ISSUER_HOST}:sub`]: "system:serviceaccount:research:user-sa",
                    [`${ISSUER_HOST}:aud`]: "sts.amazonaws.com",
                },
            });
            assert.strictEqual(inputs("aws:iam/role:Role", "uw2-hub-research-role").name, "uw2-research");
            assert.strictEqual(inputs("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "uw2-oidc").url, ISSUER);
        });

        it("annotates user-sa with the role ARN the role resource returned", async () => {
            const roleArn = returned.get("aws:iam/role:Role::uw2-hub-research-role")!.arn;
            const access = cluster.hubAccess("research");
            assert.strictEqual(await valueOf(access.serviceAccountAnnotations["eks.amazonaws.com/role-arn"]), roleArn);
            assert.strictEqual(await valueOf(access.identity!), roleArn);
            assert.strictEqual(await valueOf(cluster.hubRoleArns.research), roleArn);
            assert.strictEqual(access.cloudMetadata, "block");
        });

        it("gives users the scratch URL and region, and waits for the role and bucket policies", async () => {
            const access = cluster.hubAccess("research");
            const env = Object.fromEntries(await Promise.all(Object.entries(access.env).map(async ([k, v]) => [k, await valueOf(v)])));
            assert.deepStrictEqual(env, {
                SCRATCH_BUCKET: "s3://uw2-scratch/$(JUPYTERHUB_USER)",
                PANGEO_SCRATCH: "s3://uw2-scratch/$(JUPYTERHUB_USER)",
                AWS_DEFAULT_REGION: "us-west-2",
            });
            const waitsFor = await Promise.all(access.dependsOn.map(r => valueOf(r.urn)));
            for (const name of ["uw2-hub-research-buckets", "uw2-hub-research-extra", "uw2-buckets-scratch-policy", "uw2-buckets-persistent-policy"]) {
                assert.ok(waitsFor.some(urn => urn.endsWith(`::${name}`)), `hub access should wait for ${name}: ${waitsFor.join(", ")}`);
            }
        });

        it("gives a hub without cloudAccess no role, no annotation, and the region", async () => {
            const access = cluster.hubAccess("outreach");
            assert.deepStrictEqual(access.serviceAccountAnnotations, {});
            assert.strictEqual(access.identity, undefined);
            assert.strictEqual(await valueOf(access.env.AWS_DEFAULT_REGION), "us-west-2");
            assert.ok(!recorder.ofType("aws:iam/role:Role").some(r => r.name.includes("outreach")));
            assert.throws(() => cluster.hubAccess("nope"), /hub "nope" is not on cluster uw2/);
        });

        it("grants each hub its buckets in its own identity policy", () => {
            const research = policyOf(inputs("aws:iam/rolePolicy:RolePolicy", "uw2-hub-research-buckets").policy);
            assert.deepStrictEqual(research.Statement.map((s: any) => [s.Resource, s.Action]), [
                [["arn:aws:s3:::uw2-persistent", "arn:aws:s3:::uw2-persistent/*"], S3_READONLY_ACTIONS],
                [["arn:aws:s3:::uw2-scratch", "arn:aws:s3:::uw2-scratch/*"], S3_ADMIN_ACTIONS],
            ]);
            const roleName = returned.get("aws:iam/role:Role::uw2-hub-research-role")!.name;
            assert.strictEqual(inputs("aws:iam/rolePolicy:RolePolicy", "uw2-hub-research-buckets").role, roleName);
        });

        it("attaches extraIamPolicy as its own policy, only where configured", () => {
            const extra = policyOf(inputs("aws:iam/policy:Policy", "uw2-hub-research-extra").policy);
            assert.deepStrictEqual(extra.Statement[0].Resource, ["arn:aws:s3:::partner-data/*"]);
            const attachment = inputs("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "uw2-hub-research-extra");
            assert.strictEqual(attachment.policyArn, returned.get("aws:iam/policy:Policy::uw2-hub-research-extra")!.arn);
            assert.deepStrictEqual(recorder.ofType("aws:iam/policy:Policy").map(r => r.name), ["uw2-hub-research-extra"]);
        });
    });

    describe("buckets", () => {
        it("has exactly one policy per bucket, with one statement per hub using it", () => {
            assert.deepStrictEqual(recorder.ofType("aws:s3/bucketPolicy:BucketPolicy").map(r => r.name).sort(),
                ["uw2-buckets-persistent-policy", "uw2-buckets-scratch-policy"]);
            const scratch = policyOf(inputs("aws:s3/bucketPolicy:BucketPolicy", "uw2-buckets-scratch-policy").policy);
            const allows = scratch.Statement.filter((s: any) => s.Effect === "Allow");
            const roleArn = (hub: string) => returned.get(`aws:iam/role:Role::uw2-hub-${hub}-role`)!.arn;
            assert.deepStrictEqual(allows.map((s: any) => s.Principal.AWS).sort(), [roleArn("research"), roleArn("teaching")].sort());
            assert.ok(allows.every((s: any) => s.Action.includes("s3:PutObject")));
            assert.ok(scratch.Statement.some((s: any) => s.Effect === "Deny" && s.Condition.Bool["aws:SecureTransport"] === "false"));

            const persistent = policyOf(inputs("aws:s3/bucketPolicy:BucketPolicy", "uw2-buckets-persistent-policy").policy);
            const readers = persistent.Statement.filter((s: any) => s.Effect === "Allow");
            assert.deepStrictEqual(readers.map((s: any) => [s.Principal.AWS, s.Action]), [[roleArn("research"), S3_READONLY_ACTIONS]]);
        });

        it("expires scratch objects after deleteAfterDays and clears multipart uploads everywhere", () => {
            const rules = (key: string) => inputs("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", `uw2-buckets-${key}-lifecycle`).rules;
            assert.deepStrictEqual(rules("scratch").find((r: any) => r.expiration)?.expiration, { days: 7 });
            assert.ok(!rules("persistent").some((r: any) => r.expiration?.days), "a bucket without deleteAfterDays keeps its current objects");
            for (const key of ["scratch", "persistent"]) {
                assert.ok(rules(key).some((r: any) => r.status === "Enabled" && r.abortIncompleteMultipartUpload?.daysAfterInitiation > 0));
            }
        });

        it("names, blocks public access to, and encrypts every bucket, and never force-destroys", async () => {
            for (const key of ["scratch", "persistent"]) {
                const bucket = inputs("aws:s3/bucket:Bucket", `uw2-buckets-${key}`);
                assert.strictEqual(bucket.bucket, `uw2-${key}`);
                assert.strictEqual(bucket.forceDestroy, false);
                const block = inputs("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", `uw2-buckets-${key}-public-access`);
                for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) {
                    assert.strictEqual(block[flag], true, `${key}.${flag}`);
                }
                const sse = inputs("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", `uw2-buckets-${key}-encryption`);
                assert.ok(["AES256", "aws:kms"].includes(sse.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm));
            }
            assert.strictEqual(await valueOf(cluster.buckets.scratch.url), "s3://uw2-scratch");
        });
    });

    describe("data safety", () => {
        it("protects the cluster, the file system, the access points and the buckets, and nothing that must be replaceable", () => {
            const protectedNames = [...sent].filter(([, o]) => o.protect).map(([key]) => key).filter(k => k.includes("::uw2-")).sort();
            assert.deepStrictEqual(protectedNames, [
                "aws:efs/accessPoint:AccessPoint::uw2-homes-outreach",
                "aws:efs/accessPoint:AccessPoint::uw2-homes-research",
                "aws:efs/accessPoint:AccessPoint::uw2-homes-teaching",
                "aws:efs/fileSystem:FileSystem::uw2-homes-fs",
                "aws:eks/cluster:Cluster::uw2-eks",
                "aws:s3/bucket:Bucket::uw2-buckets-persistent",
                "aws:s3/bucket:Bucket::uw2-buckets-scratch",
            ]);
            assert.strictEqual(inputs("aws:eks/cluster:Cluster", "uw2-eks").deletionProtection, true, "EKS's own deletion protection");
        });

        it("leaves a cluster with deletionProtection: false deletable, by Pulumi and by EKS", () => {
            assert.strictEqual(sent.get("aws:eks/cluster:Cluster::ex1-eks")?.protect, false);
            assert.strictEqual(inputs("aws:eks/cluster:Cluster", "ex1-eks").deletionProtection, false);
            assert.strictEqual(sent.get("aws:efs/fileSystem:FileSystem::ex1-homes-fs")?.protect, true, "homes stay protected");
        });
    });

    describe("home storage", () => {
        it("encrypts EFS, backs it up, and tiers cold files to IA and back", () => {
            const fs = inputs("aws:efs/fileSystem:FileSystem", "uw2-homes-fs");
            assert.strictEqual(fs.encrypted, true);
            assert.deepStrictEqual(fs.lifecyclePolicies, [{ transitionToIa: "AFTER_30_DAYS" }, { transitionToPrimaryStorageClass: "AFTER_1_ACCESS" }]);
            assert.deepStrictEqual(inputs("aws:efs/backupPolicy:BackupPolicy", "uw2-homes-backup").backupPolicy, { status: "ENABLED" });
        });

        it("mounts in every private subnet, named by zone, and admits NFS only from the cluster security group", () => {
            const mounts = recorder.ofType("aws:efs/mountTarget:MountTarget").filter(r => r.name.startsWith("uw2-"));
            assert.deepStrictEqual(mounts.map(r => r.name).sort(), ["uw2-homes-mount-us-west-2a", "uw2-homes-mount-us-west-2b", "uw2-homes-mount-us-west-2c"]);
            const rules = recorder.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(r => r.name.startsWith("uw2-"));
            assert.strictEqual(rules.length, 1);
            const clusterSg = returned.get("aws:eks/cluster:Cluster::uw2-eks")!.vpcConfig.clusterSecurityGroupId;
            assert.deepStrictEqual([rules[0].inputs.referencedSecurityGroupId, rules[0].inputs.ipProtocol, rules[0].inputs.fromPort, rules[0].inputs.toPort],
                [clusterSg, "tcp", 2049, 2049]);
            assert.strictEqual(rules[0].inputs.cidrIpv4, undefined);
        });

        it("roots each hub's access point at /homes/<hub> as uid 1000, and hands out fs::ap handles", async () => {
            const ap = inputs("aws:efs/accessPoint:AccessPoint", "uw2-homes-research");
            assert.deepStrictEqual(ap.rootDirectory, { path: "/homes/research", creationInfo: { ownerUid: 1000, ownerGid: 1000, permissions: "0755" } });
            assert.deepStrictEqual(ap.posixUser, { uid: 1000, gid: 1000 });
            const volume = cluster.homeVolume("research");
            assert.strictEqual(volume.kind, "csi");
            if (volume.kind !== "csi") return;
            assert.strictEqual(volume.driver, "efs.csi.aws.com");
            // The harness's mock gives every resource the id `<name>-id`.
            assert.strictEqual(await valueOf(volume.volumeHandle), "uw2-homes-fs-id::uw2-homes-research-id");
            assert.strictEqual(volume.dependsOn?.length, 3);
            assert.throws(() => cluster.homeVolume("nope"), /no EFS access point for hub "nope"/);
        });
    });

    describe("eks", () => {
        it("pins the version and names the cluster after its key", () => {
            const eks = inputs("aws:eks/cluster:Cluster", "uw2-eks");
            assert.strictEqual(eks.name, "uw2");
            assert.strictEqual(eks.version, "1.33");
            assert.strictEqual(eks.vpcConfig.subnetIds.length, 3);
        });

        it("labels core pools, labels and taints user pools, and uses spot only where asked", () => {
            const pool = (key: string) => inputs("aws:eks/nodeGroup:NodeGroup", `uw2-pool-${key}`);
            assert.strictEqual(pool("core").labels["hub.jupyter.org/node-purpose"], "core");
            assert.deepStrictEqual(pool("core").taints ?? [], []);
            assert.strictEqual(pool("core").capacityType, "ON_DEMAND");
            assert.strictEqual(pool("user").labels["hub.jupyter.org/node-purpose"], "user");
            assert.deepStrictEqual(pool("user").taints, [{ key: "hub.jupyter.org/dedicated", value: "user", effect: "NO_SCHEDULE" }]);
            assert.strictEqual(pool("user").capacityType, "SPOT");
            assert.deepStrictEqual(pool("user").scalingConfig, { minSize: 0, maxSize: 20, desiredSize: 0 });
            assert.deepStrictEqual(pool("user").instanceTypes, ["r5.4xlarge"]);
            assert.strictEqual(pool("arm").amiType, "AL2023_ARM_64_STANDARD");
            assert.strictEqual(pool("user").amiType, "AL2023_x86_64_STANDARD");
        });

        it("ignores no node group input, and reads the live sizes through the cluster's regional provider", () => {
            for (const key of ["core", "user", "arm"]) {
                assert.deepStrictEqual(sent.get(`aws:eks/nodeGroup:NodeGroup::uw2-pool-${key}`)?.ignoreChanges, []);
            }
            const lists = recorder.calls.filter(c => c.token === "aws:eks/getNodeGroups:getNodeGroups");
            assert.deepStrictEqual(lists.map(c => c.args.clusterName).sort(), ["ex1", "uw2"]);
            assert.ok(lists.every(c => c.provider?.includes(`::${c.args.clusterName}-aws::`)), JSON.stringify(lists));
        });

        it("installs the add-ons, with the EFS driver on its own IRSA role", () => {
            const addons = recorder.ofType("aws:eks/addon:Addon").filter(r => r.name.startsWith("uw2-")).map(r => r.inputs.addonName).sort();
            assert.deepStrictEqual(addons, ["aws-ebs-csi-driver", "aws-efs-csi-driver", "coredns", "kube-proxy", "vpc-cni"]);
            const efs = inputs("aws:eks/addon:Addon", "uw2-aws-efs-csi-driver");
            assert.strictEqual(efs.serviceAccountRoleArn, returned.get("aws:iam/role:Role::uw2-efs-csi")!.arn);
            const role = inputs("aws:iam/role:Role", "uw2-efs-csi");
            assert.strictEqual(role.name, "uw2-efs-csi");
            // The controller and the node agent (tests/awsDeploy.test.ts has the EKS user guide's policy).
            assert.deepStrictEqual(policyOf(role.assumeRolePolicy).Statement[0].Condition, {
                StringEquals: { [`${ISSUER_HOST}:aud`]: "sts.amazonaws.com" },
                StringLike: { [`${ISSUER_HOST}:sub`]: "system:serviceaccount:kube-system:efs-csi-*" },
            });
        });

        it("runs the cluster autoscaler on the core pool, on its own IRSA role, for this cluster's node groups", () => {
            const role = inputs("aws:iam/role:Role", "uw2-autoscaler-role");
            assert.strictEqual(role.name, "uw2-autoscaler");
            assert.deepStrictEqual(policyOf(role.assumeRolePolicy).Statement[0].Condition.StringEquals, {
                [`${ISSUER_HOST}:sub`]: "system:serviceaccount:kube-system:cluster-autoscaler",
                [`${ISSUER_HOST}:aud`]: "sts.amazonaws.com",
            });
            const policy = inputs("aws:iam/rolePolicy:RolePolicy", "uw2-autoscaler-policy");
            assert.strictEqual(policy.role, returned.get("aws:iam/role:Role::uw2-autoscaler-role")!.name);
            assert.strictEqual(policyOf(policy.policy).Statement[0].Condition.StringEquals["aws:ResourceTag/k8s.io/cluster-autoscaler/uw2"], "owned");

            const release = recorder.get("kubernetes:helm.sh/v3:Release", "uw2-autoscaler-release");
            assert.deepStrictEqual([release.inputs.chart, release.inputs.version, release.inputs.repositoryOpts.repo, release.inputs.namespace],
                ["cluster-autoscaler", "9.50.1", "https://kubernetes.github.io/autoscaler", "kube-system"]);
            assert.ok(release.provider?.includes("::uw2-k8s::"), `the release goes through the cluster's provider, not ${release.provider}`);
            const values = release.inputs.values;
            assert.deepStrictEqual(values.autoDiscovery, { clusterName: "uw2" });
            assert.deepStrictEqual([values.cloudProvider, values.awsRegion, values.image.tag], ["aws", "us-west-2", "v1.33.6"]);
            assert.deepStrictEqual(values.rbac.serviceAccount, {
                name: "cluster-autoscaler",
                annotations: { "eks.amazonaws.com/role-arn": returned.get("aws:iam/role:Role::uw2-autoscaler-role")!.arn },
            });
            assert.deepStrictEqual(values.nodeSelector, { "hub.jupyter.org/node-purpose": "core" });
            assert.strictEqual(inputs("aws:eks/nodeGroup:NodeGroup", "uw2-pool-user").scalingConfig.minSize, 0, "the user pool it scales from zero");
        });

        it("picks the autoscaler image for the control plane's minor version", () => {
            const base = { clusterName: "c", region: "eu-west-1", roleArn: "arn:aws:iam::1:role/c-autoscaler", nodeSelector: {} };
            assert.deepStrictEqual((clusterAutoscalerValues({ ...base, kubernetesVersion: "1.34" }).image as any).tag, "v1.34.5");
            assert.throws(() => clusterAutoscalerValues({ ...base, kubernetesVersion: "1.20" }),
                /no cluster autoscaler image is known for Kubernetes 1\.20: add it to CLUSTER_AUTOSCALER_IMAGE_TAGS/);
        });

        it("exports a secret kubeconfig and a Kubernetes provider identified by the cluster ARN", async () => {
            assert.strictEqual(await isSecret(cluster.kubeconfig), true);
            const config = JSON.parse(await valueOf(cluster.kubeconfig));
            assert.strictEqual(config.clusters[0].cluster.server, returned.get("aws:eks/cluster:Cluster::uw2-eks")!.endpoint);
            assert.strictEqual(config.clusters[0].cluster["certificate-authority-data"], "LS0tLS1CRUdJTi1DRVJU");
            assert.deepStrictEqual(config.users[0].user.exec.args, ["eks", "get-token", "--cluster-name", "uw2", "--region", "us-west-2"]);
            const provider = inputs("pulumi:providers:kubernetes", "uw2-k8s");
            assert.strictEqual(provider.clusterIdentifier, returned.get("aws:eks/cluster:Cluster::uw2-eks")!.arn);
            assert.strictEqual(unwrapSecret(provider.kubeconfig).secret, true);
        });
    });

    it("registers its components under the jupyterhub:aws types, named from the cluster key", () => {
        const components = recorder.resources.filter(r => r.type.startsWith("jupyterhub:aws:") && r.name.startsWith("uw2"));
        assert.deepStrictEqual(components.map(r => `${r.type} ${r.name}`).sort(), [
            "jupyterhub:aws:Buckets uw2-buckets",
            "jupyterhub:aws:Cluster uw2",
            "jupyterhub:aws:ClusterAccess uw2-access",
            "jupyterhub:aws:ClusterAutoscaler uw2-autoscaler",
            "jupyterhub:aws:HomeStorage uw2-homes",
            "jupyterhub:aws:HubIdentity uw2-hub-research",
            "jupyterhub:aws:HubIdentity uw2-hub-teaching",
            "jupyterhub:aws:Network uw2-network",
        ]);
    });

    describe("network and region", () => {
        it("sends every AWS resource through the cluster's regional provider", () => {
            assert.strictEqual(inputs("pulumi:providers:aws", "uw2-aws").region, "us-west-2");
            assert.strictEqual(inputs("pulumi:providers:aws", "ex1-aws").region, "eu-west-1");
            const awsResources = recorder.resources.filter(r => r.type.startsWith("aws:"));
            const wrong = (prefix: string, providerName: string) => awsResources
                .filter(r => r.name.startsWith(prefix) && !r.provider?.includes(`::${providerName}::`)).map(r => r.name);
            assert.deepStrictEqual(wrong("uw2-", "uw2-aws"), []);
            assert.deepStrictEqual(wrong("ex1-", "ex1-aws"), []);
        });

        it("builds public and private subnets per zone with load-balancer tags and one NAT gateway", () => {
            for (const zone of ["us-west-2a", "us-west-2b", "us-west-2c"]) {
                assert.strictEqual(inputs("aws:ec2/subnet:Subnet", `uw2-network-public-${zone}`).tags["kubernetes.io/role/elb"], "1");
                assert.strictEqual(inputs("aws:ec2/subnet:Subnet", `uw2-network-private-${zone}`).tags["kubernetes.io/role/internal-elb"], "1");
            }
            assert.strictEqual(inputs("aws:ec2/vpc:Vpc", "uw2-network-vpc").cidrBlock, "10.100.0.0/16");
            assert.strictEqual(recorder.ofType("aws:ec2/natGateway:NatGateway").length, 1);
        });

        it("uses an existing VPC's subnets as given, creating no network", () => {
            const ex1Network = recorder.resources.filter(r => r.name.startsWith("ex1-network"));
            assert.deepStrictEqual(ex1Network.map(r => r.type), ["jupyterhub:aws:Network"]);
            assert.deepStrictEqual(inputs("aws:eks/cluster:Cluster", "ex1-eks").vpcConfig.subnetIds, ["subnet-0aaa", "subnet-0bbb"]);
            assert.deepStrictEqual(recorder.ofType("aws:efs/mountTarget:MountTarget").filter(r => r.name.startsWith("ex1-")).map(r => r.name).sort(),
                ["ex1-homes-mount-subnet-0aaa", "ex1-homes-mount-subnet-0bbb"]);
            assert.strictEqual(inputs("aws:ec2/securityGroup:SecurityGroup", "ex1-homes-nfs").vpcId, "vpc-0aaa");
        });
    });
});

describe("liveSizesByPool", () => {
    it("finds pools by the fleet's label, ignores other node groups, and takes the larger of two mid-replacement", () => {
        const group = (labels: Record<string, string> | undefined, desiredSize: number): LiveNodeGroup => ({ labels, scalingConfigs: [{ desiredSize }] });
        assert.deepStrictEqual(liveSizesByPool([
            group({ [NODE_POOL_LABEL]: "user" }, 3),
            group({ [NODE_POOL_LABEL]: "user" }, 7),
            group({ [NODE_POOL_LABEL]: "core" }, 1),
            group({}, 50),
            group(undefined, 50),
        ]), { user: 7, core: 1 });
    });
});

/**
 * A pool edit as it reaches EKS: minNodes 0 -> 2 and maxNodes 20 -> 10, machine unchanged, on pools the cluster
 * autoscaler left idle (0 nodes), busy within the new bounds (5) and above the new maximum (15), with the Pulumi
 * state refreshed since creation or not (`pulumi up` does not refresh by default).
 */
describe("EKS pool edit through the engine, the bridge and the EKS API", function () {
    this.timeout(60000);
    const BEFORE = { minSize: 0, maxSize: 20 };
    const LIVE: Record<string, number> = { idle: 0, busy: 5, full: 15 };
    const NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";
    let recorder: MockRecorder;
    let sent: Map<string, SentRegistration>;

    /**
     * EKS UpdateNodegroupConfig's check of a scaling config (min <= desired <= max), with the errors operators
     * report (terraform-aws-modules/terraform-aws-eks#748, ministryofjustice/cloud-platform-infrastructure#4595).
     * Returns the pool's new desired size.
     */
    function eksUpdateNodegroupConfig(config: { minSize: number; maxSize: number; desiredSize: number }): number {
        if (config.minSize > config.desiredSize) {
            throw new Error(`InvalidParameterException: Minimum capacity ${config.minSize} can't be greater than desired size ${config.desiredSize}`);
        }
        if (config.desiredSize > config.maxSize) throw new Error("InvalidParameterException: desiredSize can't be greater than maxSize");
        return config.desiredSize;
    }

    /**
     * One `pulumi up` of the edit: the engine resets ignored paths to the inputs stored at creation (desiredSize
     * was minNodes then, 0, in either version of the code), hashicorp/terraform-provider-aws
     * `resourceNodeGroupUpdate` sends the whole scaling_config as the bridge plans it from the prior state.
     */
    function applyEdit(newInputs: PropertyMap, ignoreChanges: readonly string[], live: number, refreshed: boolean): number {
        const created = { scalingConfig: { ...BEFORE, desiredSize: 0 } };
        const priorState = { scalingConfig: { ...BEFORE, desiredSize: refreshed ? live : 0 } };
        const engine = engineUpdateInputs(created, newInputs, ignoreChanges);
        assert.deepStrictEqual(engine.invalidPaths, []);
        const values = bridgedUpdateValues(priorState, engine.inputs, ignoreChanges);
        return eksUpdateNodegroupConfig(values.scalingConfig as { minSize: number; maxSize: number; desiredSize: number });
    }

    /** The outcome of the edit on every pool, refreshed or not: the new size or the API's error. */
    function outcomes(inputsOf: (pool: string) => PropertyMap, ignoreChanges: readonly string[]): Record<string, number | string> {
        const result: Record<string, number | string> = {};
        for (const [pool, live] of Object.entries(LIVE)) {
            for (const refreshed of [false, true]) {
                const key = `${pool}${refreshed ? " refreshed" : ""}`;
                try {
                    result[key] = applyEdit(inputsOf(pool), ignoreChanges, live, refreshed);
                } catch (error) {
                    result[key] = (error as Error).message;
                }
            }
        }
        return result;
    }

    before(async () => {
        const groupName = (pool: string) => `edit-pool-${pool}-1a2b3c4`;
        recorder = useMocks({
            stack: "test",
            calls: {
                "aws:eks/getNodeGroups:getNodeGroups": args => ({
                    clusterName: args.clusterName, names: [...Object.keys(LIVE).map(groupName), "someone-elses"],
                }),
                "aws:eks/getNodeGroup:getNodeGroup": args => {
                    const pool = Object.keys(LIVE).find(p => groupName(p) === args.nodeGroupName);
                    return {
                        nodeGroupName: args.nodeGroupName,
                        labels: pool ? { [NODE_POOL_LABEL]: pool, "hub.jupyter.org/node-purpose": "user" } : {},
                        scalingConfigs: [{ ...BEFORE, desiredSize: pool ? LIVE[pool] : 50 }],
                    };
                },
            },
        });
        sent = recorder.sent;
        const { AwsCluster } = await import("../components/aws/cluster");
        const after = { machineType: "r5.4xlarge", minNodes: 2, maxNodes: 10 };
        const config = parseFleetConfig({
            clusters: {
                edit: awsCluster({
                    nodePools: { core: { machineType: "r5.xlarge", minNodes: 1, maxNodes: 3 }, idle: after, busy: after, full: after },
                    buckets: {},
                }),
            },
            hubs: {},
        }, { stack: "test" });
        const cluster = new AwsCluster("edit", { cluster: config.clusters.edit as AwsClusterSpec, hubs: {} });
        await valueOf(cluster.kubeconfig);
        await settleRegistrations(recorder);
    });

    it("before this fix (desiredSize from minNodes, ignored) fails on 5 of 6 pools", () => {
        // What components/aws/cluster.ts registered before: desiredSize: minNodes, ignoreChanges on it.
        const oldInputs = () => ({ scalingConfig: { minSize: 2, maxSize: 10, desiredSize: 2 } });
        assert.deepStrictEqual(outcomes(oldInputs, ["scalingConfig.desiredSize"]), {
            "idle": "InvalidParameterException: Minimum capacity 2 can't be greater than desired size 0",
            "idle refreshed": "InvalidParameterException: Minimum capacity 2 can't be greater than desired size 0",
            "busy": "InvalidParameterException: Minimum capacity 2 can't be greater than desired size 0",
            "busy refreshed": 5,
            "full": "InvalidParameterException: Minimum capacity 2 can't be greater than desired size 0",
            "full refreshed": "InvalidParameterException: desiredSize can't be greater than maxSize",
        });
    });

    it("now applies on every pool, keeping what the autoscaler runs within the new bounds", () => {
        const ignored = sent.get(`${NODE_GROUP}::edit-pool-busy`)!.ignoreChanges;
        assert.deepStrictEqual(ignored, []);
        const recorded = (pool: string) => ({ scalingConfig: recorder.get(NODE_GROUP, `edit-pool-${pool}`).inputs.scalingConfig });
        assert.deepStrictEqual(outcomes(recorded, ignored), {
            "idle": 2, "idle refreshed": 2, "busy": 5, "busy refreshed": 5, "full": 10, "full refreshed": 10,
        });
    });

    it("creates a pool that does not exist yet at its minimum, and ignores node groups it did not label", () => {
        assert.strictEqual(recorder.get(NODE_GROUP, "edit-pool-core").inputs.scalingConfig.desiredSize, 1);
        assert.ok(recorder.calls.some(c => c.token === "aws:eks/getNodeGroup:getNodeGroup" && c.args.nodeGroupName === "someone-elses"));
    });
});
