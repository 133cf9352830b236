// The part of octokit the comment, the tracking issue and the trusted baselines use, so each adapter can be handed the
// real client (or any client with the same shape) without depending on octokit's full types.
export interface OctokitIssues {
  paginate: (route: unknown, parameters: Record<string, unknown>) => Promise<unknown[]>;
  rest: {
    issues: {
      listComments: unknown;
      listForRepo: unknown;
      create: (parameters: Record<string, unknown>) => Promise<{ data: unknown }>;
      update: (parameters: Record<string, unknown>) => Promise<{ data: unknown }>;
      createComment: (parameters: Record<string, unknown>) => Promise<{ data: unknown }>;
      updateComment: (parameters: Record<string, unknown>) => Promise<{ data: unknown }>;
      listEvents: unknown;
    };
    repos: {
      getContent: (parameters: Record<string, unknown>) => Promise<{ data: unknown }>;
    };
  };
}
