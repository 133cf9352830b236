export const id = 559;
export const ids = [559];
export const modules = {

/***/ 6559:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  renderSuiteImages: () => (/* binding */ renderSuiteImages)
});

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./node_modules/fontkit/dist/module.mjs + 21 modules
var dist_module = __webpack_require__(1893);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(3916);
// EXTERNAL MODULE: ./src/sharp.ts
var src_sharp = __webpack_require__(3819);
// EXTERNAL MODULE: ./src/suite/resources.ts + 1 modules
var resources = __webpack_require__(4288);
;// CONCATENATED MODULE: ./src/suite/render.ts
// Renders scenario screens to PNG with sharp, text drawn as vector outlines of the bundled DejaVu
// font, so the bytes never depend on the fonts or fontconfig of the machine that renders them.






let cachedFonts;
function loadFonts() {
    cachedFonts ??= {
        regular: dist_module/* create */.vt((0,external_node_fs_.readFileSync)((0,external_node_path_.join)((0,resources/* fontsDir */.b)(), 'DejaVuSans.ttf'))),
        bold: dist_module/* create */.vt((0,external_node_fs_.readFileSync)((0,external_node_path_.join)((0,resources/* fontsDir */.b)(), 'DejaVuSans-Bold.ttf'))),
    };
    return cachedFonts;
}
/** SVG paths for one line of text with its baseline at (x, y). Fixed decimals keep output stable. */
function textPaths(font, text, x, y, sizePx, fill) {
    const scale = sizePx / font.unitsPerEm;
    const run = font.layout(text);
    let penX = x;
    const paths = [];
    run.glyphs.forEach((glyph, index) => {
        const position = run.positions[index];
        const data = glyph.path.toSVG();
        if (data) {
            const gx = (penX + position.xOffset * scale).toFixed(3);
            const gy = (y - position.yOffset * scale).toFixed(3);
            paths.push(`<path transform="translate(${gx} ${gy}) scale(${scale.toFixed(6)} ${(-scale).toFixed(6)})" d="${data}"/>`);
        }
        penX += position.xAdvance * scale;
    });
    return `<g fill="${fill}">${paths.join('')}</g>`;
}
/** The SVG of a form screen: a title, a rule, then label/value rows (the layout of the seed bench). */
function formSvg(form, width, height) {
    const fonts = loadFonts();
    const parts = [
        `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
        textPaths(fonts.bold, form.title, 20, 42, 22, '#000000'),
        `<rect x="20" y="54" width="${width - 40}" height="2" fill="#000000"/>`,
    ];
    form.rows.forEach(([label, value], index) => {
        const baseline = 100 + index * 35;
        parts.push(textPaths(fonts.regular, label, 30, baseline, 18, '#000000'));
        if (value)
            parts.push(textPaths(fonts.regular, value, 280, baseline, 18, '#1f2937'));
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
