// Writes a run's report files together: summary.md, comment.md, junit.xml, then report.json last,
// so that a report.json on disk always has its companions beside it.
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/files.js';
import { junitXml } from './junit.js';
import { COMMENT_FILE, JUNIT_FILE, REPORT_FILE, SUMMARY_FILE, type Report } from './report.js';

export function writeReportFiles(
  reportDir: string,
  report: Report,
  summaryMarkdown: string,
  commentMarkdown: string,
): string {
  const reportPath = join(reportDir, REPORT_FILE);
  writeFileAtomic(join(reportDir, SUMMARY_FILE), summaryMarkdown);
  writeFileAtomic(join(reportDir, COMMENT_FILE), commentMarkdown);
  writeFileAtomic(join(reportDir, JUNIT_FILE), junitXml(report));
  writeFileAtomic(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  return reportPath;
}
