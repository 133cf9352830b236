// Prints one plain closing line, "tests: N passed, N failed, N skipped", after jest's own summary.
class ClosingLineReporter {
  onRunComplete(_contexts, results) {
    process.stdout.write(
      `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped\n`,
    );
  }
}
module.exports = ClosingLineReporter;
