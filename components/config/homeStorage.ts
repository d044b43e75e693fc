/** Home storage: the types each provider can serve and their fields. */
import { z } from "zod";
import { ProviderName } from "./names";

export const homeStorageSchemas = {
    efs: z.strictObject({ type: z.literal("efs") }),
    filestore: z.strictObject({
        type: z.literal("filestore"),
        tier: z.enum(["BASIC_HDD", "BASIC_SSD", "ZONAL", "REGIONAL", "ENTERPRISE"]).default("BASIC_HDD"),
        capacityGb: z.number().int().min(1).default(1024),
    }),
    dynamic: z.strictObject({
        type: z.literal("dynamic"),
        /** Size of each user's volume. */
        size: z.string().regex(/^\d+(Mi|Gi|Ti)$/, { error: "must be a Kubernetes quantity such as 10Gi" }).default("10Gi"),
        /** Storage class for user volumes; the cluster default (or the platform's retaining class) otherwise. */
        storageClass: z.string().min(1).optional(),
    }),
    nfs: z.strictObject({
        type: z.literal("nfs"),
        server: z.string().min(1),
        path: z.string().regex(/^\//, { error: "must be an absolute export path such as /export/homes" }),
    }),
};
export type HomeStorageSpec =
    | z.infer<(typeof homeStorageSchemas)["efs"]>
    | z.infer<(typeof homeStorageSchemas)["filestore"]>
    | z.infer<(typeof homeStorageSchemas)["dynamic"]>
    | z.infer<(typeof homeStorageSchemas)["nfs"]>;

/** Which home storage each provider can serve, the first being the default. */
export const HOME_STORAGE_TYPES: Record<ProviderName, readonly (keyof typeof homeStorageSchemas)[]> = {
    aws: ["efs"],
    gcp: ["dynamic", "filestore"],
    ovh: ["dynamic"],
    kubernetes: ["dynamic", "nfs"],
};

/** Filestore's smallest instance per tier, in GB. */
export const FILESTORE_MIN_CAPACITY_GB: Record<string, number> = {
    BASIC_HDD: 1024, BASIC_SSD: 2560, ZONAL: 1024, REGIONAL: 1024, ENTERPRISE: 1024,
};

/** A parsed cluster spec: `homeStorage` parsed per provider and defaulted. */
export type WithHome<T> = Omit<T, "homeStorage"> & { homeStorage: HomeStorageSpec };
