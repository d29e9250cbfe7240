// The version in package.json, read at build time (tsup inlines the JSON) or, running from
// source, from the file itself: `changeset version` changes one place only.
import manifest from "../package.json" with { type: "json" };

/** Version of this @qicore/core. */
export const CORE_VERSION: string = manifest.version;
