using Slipway.Delivery;
using Slipway.Engine;
using Slipway.Migrations;
using Slipway.Tools.Docker;

/// <summary>What a user sees when a target fails: the delivery code's one error type, and the outside's, as one line each.</summary>
partial class Build
{
    /// <summary>The exit code of a deploy, rollback or unlock refused because another deploy holds the environment's lock.</summary>
    const int LockHeldExitCode = 3;

    protected override Exception? Explain(Exception failure) => failure switch
    {
        DeliveryException { Failure: DeliveryFailure.Usage } => new UsageException(failure.Message),
        DeliveryException { Failure: DeliveryFailure.Locked } => new BuildFailedException(failure.Message, failure) { ExitCode = LockHeldExitCode },
        DeliveryException or MigrationException or DatabaseUrlException
            or DockerEngineUnreachableException or DockerTimeoutException or DockerConfigurationException or DockerApiException or DockerStreamException
            => new BuildFailedException(failure.Message, failure),
        _ => null,
    };
}
