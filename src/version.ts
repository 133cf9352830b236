// Kept equal to package.json's version by a test (a JSON import would complicate the bundle).
export const VERSION = '0.1.0';
