/**
 * Cloud identities stay narrow (DESIGN.md, "Security defaults"): a hub's role or service account can be
 * assumed by exactly one Kubernetes service account, and no policy document hands out a whole service.
 */
import { IamStatement, ResourceFacts, asList, iamStatements, label, resourceRule } from "./common";

const ROLE_TYPE = "aws:iam/role:Role";
const WORKLOAD_IDENTITY_ROLE = "roles/iam.workloadIdentityUser";
const SERVICE_ACCOUNT_MEMBER_TYPE = "gcp:serviceaccount/iAMMember:IAMMember";
const SERVICE_ACCOUNT_BINDING_TYPE = "gcp:serviceaccount/iAMBinding:IAMBinding";
/** `system:serviceaccount:<namespace>:<name>`, no wildcards. */
const SERVICE_ACCOUNT_SUBJECT = /^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/;
/** `serviceAccount:<project>.svc.id.goog[<namespace>/<name>]`, no wildcards. */
const WORKLOAD_IDENTITY_MEMBER = /^serviceAccount:[a-z][-a-z0-9]*[a-z0-9]\.svc\.id\.goog\[[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?\]$/;

/**
 * `system:serviceaccount:kube-system:<prefix>-*` under StringLike: the accounts of one EKS add-on, the only
 * wildcard trust allowed. The EFS CSI driver's controller and node agent run as efs-csi-controller-sa and
 * efs-csi-node-sa with one add-on role (EKS user guide, "Use elastic file system storage with Amazon EFS").
 */
const ADDON_SUBJECT_PREFIX = /^system:serviceaccount:kube-system:[a-z0-9][-a-z0-9]*-\*$/;

/** Problems of one web-identity trust statement: it must pin one service account and the STS audience. */
export function trustStatementProblems(statement: IamStatement): string[] {
    const problems: string[] = [];
    const condition = statement.Condition ?? {};
    const equals = condition.StringEquals ?? {};
    const like = condition.StringLike ?? {};
    const subjectKeys = Object.keys(equals).filter(key => key.endsWith(":sub"));
    const audienceKeys = Object.keys(equals).filter(key => key.endsWith(":aud"));
    const likeSubjects = Object.keys(like).filter(key => key.endsWith(":sub")).flatMap(key => asList(like[key]));
    const addonPrefix = subjectKeys.length === 0 && likeSubjects.length === 1 && ADDON_SUBJECT_PREFIX.test(likeSubjects[0])
        && !Object.keys(like).some(key => key.endsWith(":aud"));
    for (const [operator, entries] of Object.entries(condition)) {
        if (operator === "StringEquals" || (operator === "StringLike" && addonPrefix)) continue;
        if (Object.keys(entries).some(key => key.endsWith(":sub") || key.endsWith(":aud"))) {
            problems.push(`matches sub/aud with ${operator}: use StringEquals`);
        }
    }
    const subjects = subjectKeys.flatMap(key => asList(equals[key]));
    if (!addonPrefix && subjects.length !== 1) {
        problems.push(subjects.length === 0
            ? "has no StringEquals condition on <issuer>:sub, so every service account in the cluster can assume it: " +
                "add \"<issuer>:sub\": \"system:serviceaccount:<namespace>:user-sa\""
            : `lets ${subjects.length} subjects assume it (${subjects.join(", ")}): give each hub its own role with one sub`);
    } else if (!addonPrefix && !SERVICE_ACCOUNT_SUBJECT.test(subjects[0])) {
        problems.push(`trusts sub ${subjects[0]}: pin one service account, "system:serviceaccount:<namespace>:user-sa", without wildcards`);
    }
    const audiences = audienceKeys.flatMap(key => asList(equals[key]));
    if (audiences.length !== 1 || audiences[0] !== "sts.amazonaws.com") {
        problems.push(`has ${audiences.length === 0 ? "no" : `aud ${audiences.join(", ")} as its`} audience condition: ` +
            "add \"<issuer>:aud\": \"sts.amazonaws.com\" under StringEquals");
    }
    return problems;
}

export const irsaTrustPinned = resourceRule({
    name: "irsa-trust-pinned",
    description: "IAM roles assumed through the EKS OIDC provider pin one service account (sub) and the STS audience (aud).",
    enforcementLevel: "mandatory",
    check: resource => {
        if (resource.type !== ROLE_TYPE) return [];
        return (iamStatements(resource.props.assumeRolePolicy) ?? [])
            .filter(statement => statement.Effect === "Allow" && asList(statement.Action).includes("sts:AssumeRoleWithWebIdentity"))
            .flatMap(statement => trustStatementProblems(statement).map(problem => `${label(resource)}: its trust policy ${problem}`));
    },
});

export const workloadIdentityPinned = resourceRule({
    name: "workload-identity-pinned",
    description: "Workload Identity grants on Google service accounts name exactly one namespace/serviceaccount each.",
    enforcementLevel: "mandatory",
    check: resource => {
        if (resource.type !== SERVICE_ACCOUNT_MEMBER_TYPE && resource.type !== SERVICE_ACCOUNT_BINDING_TYPE) return [];
        if (resource.props.role !== WORKLOAD_IDENTITY_ROLE) return [];
        const members: string[] = resource.type === SERVICE_ACCOUNT_MEMBER_TYPE ? [resource.props.member] : resource.props.members ?? [];
        const problems = members.filter(member => !WORKLOAD_IDENTITY_MEMBER.test(member ?? "")).map(member =>
            `${label(resource)} lets ${member} impersonate the service account: name one Kubernetes service account, ` +
            "serviceAccount:<project>.svc.id.goog[<namespace>/user-sa]");
        if (members.length > 1) {
            problems.push(`${label(resource)} binds ${members.length} members: use one IAMMember per hub (a binding is authoritative for the role)`);
        }
        return problems;
    },
});

/** Where each type keeps its policy documents. */
function policyDocuments(resource: ResourceFacts): unknown[] {
    switch (resource.type) {
        case ROLE_TYPE:
            return (resource.props.inlinePolicies ?? []).map((inline: { policy?: unknown }) => inline.policy);
        case "aws:iam/policy:Policy":
        case "aws:iam/rolePolicy:RolePolicy":
        case "aws:s3/bucketPolicy:BucketPolicy":
        case "aws:s3/bucket:Bucket":
        case "ovh:CloudProject/s3Policy:S3Policy":
            return resource.props.policy === undefined ? [] : [resource.props.policy];
        default:
            return [];
    }
}

/**
 * Problems of one statement. `*` as an action grants everything anywhere; `<service>:*` on every resource
 * grants a whole service (all buckets, all roles). `s3:*` on named bucket ARNs is bucket admin access
 * (`bucketAdminAccess`, OVH admin groups) and is fine. An Allow with NotAction grants all but a list.
 */
export function wildcardProblems(statement: IamStatement): string[] {
    if (statement.Effect !== "Allow") return [];
    const actions = asList(statement.Action);
    const resources = asList(statement.Resource);
    const name = statement.Sid ? `statement ${statement.Sid}` : "a statement";
    if (statement.NotAction !== undefined) {
        return [`${name} allows everything except ${asList(statement.NotAction).join(", ")}: list the actions it needs in Action`];
    }
    if (actions.includes("*")) {
        return [`${name} allows Action "*": list the actions it needs`];
    }
    const services = actions.filter(action => /^[a-z0-9-]+:\*$/.test(action));
    if (services.length > 0 && resources.includes("*")) {
        return [`${name} allows ${services.join(", ")} on Resource "*": name the buckets or resources (e.g. arn:aws:s3:::<bucket> and arn:aws:s3:::<bucket>/*)`];
    }
    return [];
}

export const iamNoWildcardGrants = resourceRule({
    name: "iam-no-wildcard-grants",
    description: "No IAM policy, role policy, bucket policy or OVH S3 policy allows every action, or a whole service on every resource.",
    enforcementLevel: "mandatory",
    check: resource => policyDocuments(resource)
        .flatMap(document => iamStatements(document) ?? [])
        .flatMap(statement => wildcardProblems(statement).map(problem => `${label(resource)}: ${problem}`)),
});
