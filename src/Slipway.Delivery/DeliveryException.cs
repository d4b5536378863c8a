namespace Slipway.Delivery;

/// <summary>How a delivery failure ends the build: its exit code tells scripts which kind it was.</summary>
public enum DeliveryFailure
{
    /// <summary>A step failed (a check, the engine, the registry): exit 1.</summary>
    Failed,

    /// <summary>The configuration or the command line is wrong (a typo in an environment file, a missing secret): exit 2.</summary>
    Usage,

    /// <summary>Another deploy holds the environment's lock: exit 3.</summary>
    Locked,
}

/// <summary>
/// The one error the delivery code shows its user: the message is the whole story (what failed, what still serves, what
/// to do), never a stack trace. Subtypes carry what callers may act on, such as the lock's holder.
/// </summary>
public class DeliveryException(string message, DeliveryFailure failure = DeliveryFailure.Failed, Exception? inner = null) : Exception(message, inner)
{
    public DeliveryFailure Failure { get; } = failure;
}
