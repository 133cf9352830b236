export const id = 616;
export const ids = [616];
export const modules = {

/***/ 4616:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   artifactServiceAvailable: () => (/* binding */ artifactServiceAvailable),
/* harmony export */   downloadShardReports: () => (/* binding */ downloadShardReports),
/* harmony export */   shardArtifactPrefix: () => (/* binding */ shardArtifactPrefix),
/* harmony export */   uploadShardReport: () => (/* binding */ uploadShardReport)
/* harmony export */ });
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(73024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(76760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var _actions_artifact__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(9645);
// Shard reports travel between jobs as workflow artifacts (@actions/artifact): each shard job
// uploads its report folder, the merge job downloads every shard's into one folder to merge.



/** Artifact names: one prefix per gate step, so two sharded steps in one workflow keep apart. */
const shardArtifactPrefix = (key) => `model-gate-${key
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80) || 'suite'}-shard-`;
/** The runner gives jobs an artifact service (ACTIONS_RUNTIME_TOKEN, ACTIONS_RESULTS_URL); elsewhere there is none. */
const artifactServiceAvailable = (env) => Boolean(env.ACTIONS_RUNTIME_TOKEN && env.ACTIONS_RESULTS_URL);
async function uploadShardReport(prefix, shard, reportDir, names) {
    const name = `${prefix}${shard.index}-of-${shard.count}`;
    await new _actions_artifact__WEBPACK_IMPORTED_MODULE_2__/* .DefaultArtifactClient */ .t9().uploadArtifact(name, names.map((file) => (0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(reportDir, file)), reportDir, { retentionDays: 1 });
    return name;
}
/** Downloads every shard artifact of this run with the prefix, each into its own folder under `into`. */
async function downloadShardReports(prefix, into) {
    const client = new _actions_artifact__WEBPACK_IMPORTED_MODULE_2__/* .DefaultArtifactClient */ .t9();
    const { artifacts } = await client.listArtifacts({ latest: true });
    const shards = artifacts.filter((artifact) => artifact.name.startsWith(prefix));
    for (const artifact of shards) {
        const path = (0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(into, artifact.name);
        (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.mkdirSync)(path, { recursive: true });
        await client.downloadArtifact(artifact.id, { path });
    }
    return shards.map((artifact) => artifact.name);
}


/***/ })

};
