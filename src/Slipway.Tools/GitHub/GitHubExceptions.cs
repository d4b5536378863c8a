using System.Net;

namespace Slipway.Tools.GitHub;

/// <summary>GitHub's API did not answer: connection refused, name not resolved, or no answer within the timeout.</summary>
public sealed class GitHubUnreachableException(string message, Exception inner) : Exception(message, inner);

/// <summary>GitHub answered with an error status; the message is GitHub's own.</summary>
public sealed class GitHubRequestException(HttpStatusCode status, string message, Exception inner) : Exception(message, inner)
{
    public HttpStatusCode Status { get; } = status;
}
