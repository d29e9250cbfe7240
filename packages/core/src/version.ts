/** Version of this @qicore/core; a test keeps it equal to package.json's. */
export const CORE_VERSION = "0.1.0";
