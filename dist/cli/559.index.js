export const id = 559;
export const ids = [559];
export const modules = {

/***/ 6559:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  renderSuiteImages: () => (/* binding */ renderSuiteImages)
});

// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(3916);
// EXTERNAL MODULE: ./src/sharp.ts
var src_sharp = __webpack_require__(3819);
// EXTERNAL MODULE: ./src/render/text.ts + 22 modules
var render_text = __webpack_require__(676);
;// CONCATENATED MODULE: ./src/suite/render.ts
// Renders scenario screens to PNG with sharp, text drawn as outlines of the bundled fonts
// (render/text.ts), so the bytes never depend on the machine that renders them.



/** The SVG of a form screen: a title, a rule, then label/value rows (the layout of the seed bench). */
function formSvg(form, width, height) {
    const fonts = (0,render_text/* loadFonts */.rn)();
    const parts = [
        `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
        (0,render_text/* textPaths */.iD)(fonts.bold, form.title, 20, 42, 22, '#000000'),
        `<rect x="20" y="54" width="${width - 40}" height="2" fill="#000000"/>`,
    ];
    form.rows.forEach(([label, value], index) => {
        const baseline = 100 + index * 35;
        parts.push((0,render_text/* textPaths */.iD)(fonts.regular, label, 30, baseline, 18, '#000000'));
        if (value)
            parts.push((0,render_text/* textPaths */.iD)(fonts.regular, value, 280, baseline, 18, '#1f2937'));
    });
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}
/** Rasterizes with sharp, loaded only here: the action runs committed PNGs and never needs it. */
async function renderFormPng(form, width, height) {
    const loaded = await (0,src_sharp/* loadSharp */.P)();
    if (!loaded.sharp) {
        throw (0,errors/* suiteError */.lJ)(`Rendering images needs the sharp package, which is not installed here (${loaded.reason}). Install model-gate with npm (npm install model-gate) or run from a checkout after npm ci.`);
    }
    const { sharp } = loaded;
    return sharp(Buffer.from(formSvg(form, width, height)), { density: 72 })
        .flatten({ background: '#ffffff' })
        .png({ compressionLevel: 9, adaptiveFiltering: false, palette: false })
        .toBuffer();
}

;// CONCATENATED MODULE: ./src/suite/render-suite.ts

async function renderSuiteImages(definition) {
    const images = new Map();
    for (const scenario of definition.scenarios) {
        images.set(scenario.id, await renderFormPng(scenario.form, definition.image.width, definition.image.height));
    }
    return images;
}


/***/ })

};
