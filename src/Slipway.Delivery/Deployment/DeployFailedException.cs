namespace Slipway.Delivery.Deployment;

/// <summary>A deploy, rollback or smoke test failed; the message is the whole story (what failed, what still serves).</summary>
public sealed class DeployFailedException(string message, bool rolledBack = false) : DeliveryException(message)
{
    /// <summary>The previous release kept (or went back to) serving.</summary>
    public bool RolledBack { get; } = rolledBack;
}
