/** Every rule of the pack, in report order. The pack (../index.ts) and the offline plan both run this list. */
import { ResourceRule, StackRule } from "./common";
import { userPoolsScaleToZero } from "./cost";
import { iamNoWildcardGrants, irsaTrustPinned, workloadIdentityPinned } from "./iam";
import {
    bucketsKeepObjects, bucketsNoPublicGrants, efsEncrypted, gcsBucketsPrivate, homeVolumesRetained, s3BucketsPrivateAndEncrypted,
    storageProtected,
} from "./storage";
import { z2jhHomePerUser, z2jhUserPodsHostIsolated, z2jhUserPodsNonRoot } from "./userPods";
import {
    gkeMetadataConcealed, z2jhAuthRestricted, z2jhChartPinned, z2jhCloudMetadata, z2jhCullerOn, z2jhHttps, z2jhNetworkPolicy,
} from "./z2jh";

export const rules: readonly (ResourceRule<any> | StackRule<any>)[] = [
    storageProtected, bucketsKeepObjects, homeVolumesRetained, efsEncrypted, gcsBucketsPrivate, bucketsNoPublicGrants,
    s3BucketsPrivateAndEncrypted,
    irsaTrustPinned, workloadIdentityPinned, iamNoWildcardGrants,
    z2jhChartPinned, z2jhNetworkPolicy, z2jhCullerOn, z2jhAuthRestricted, z2jhHttps, z2jhCloudMetadata, gkeMetadataConcealed,
    z2jhUserPodsNonRoot, z2jhUserPodsHostIsolated, z2jhHomePerUser,
    userPoolsScaleToZero,
];
