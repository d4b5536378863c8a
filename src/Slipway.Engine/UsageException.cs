namespace Slipway.Engine;

/// <summary>A mistake in how the build was invoked or configured: one line on stderr, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>A target failed for a reason the user can act on: its message is the whole story, no stack trace.</summary>
public class BuildFailedException(string message, Exception? inner = null) : Exception(message, inner);
