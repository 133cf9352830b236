export const id = 707;
export const ids = [707];
export const modules = {

/***/ 4707:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   renderSuiteImages: () => (/* binding */ renderSuiteImages)
/* harmony export */ });
/* harmony import */ var _load_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3323);
/* harmony import */ var _lib_defined_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(7994);
// Renders every rendered scenario image of a suite definition (the build script and `render --fresh`).


async function renderSuiteImages(definition) {
    // Imported when needed, as load.ts does: the bundler then keeps one shared chunk of the renderer.
    const { renderScenarioPng } = await __webpack_require__.e(/* import() */ 238).then(__webpack_require__.bind(__webpack_require__, 8238));
    const images = new Map();
    for (const scenario of definition.scenarios.filter(_load_js__WEBPACK_IMPORTED_MODULE_0__/* .isRendered */ .Ih)) {
        images.set(scenario.id, await renderScenarioPng(scenario, (0,_lib_defined_js__WEBPACK_IMPORTED_MODULE_1__/* .defined */ .s)(definition.image, "the suite's image size")));
    }
    return images;
}


/***/ })

};
