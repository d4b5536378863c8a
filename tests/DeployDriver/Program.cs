using System.Globalization;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using Slipway.DeployDriver;
using Slipway.Tools.Docker;

// Runs one single-host deploy (or a ledger writer) in its own process, so a test can kill -9 it at a chosen step.
if (args is ["ledger", var project, var environment, var count, var pauseBefore])
    return await LedgerWriter.RunAsync(new StackNames(project, environment), int.Parse(count, CultureInfo.InvariantCulture), int.Parse(pauseBefore, CultureInfo.InvariantCulture));
if (args is not [var orderFile])
{
    await Console.Error.WriteLineAsync("usage: DeployDriver <deploy-order.json> (the registry password in the variable the environment's registry names)");
    await Console.Error.WriteLineAsync("       DeployDriver ledger <project> <environment> <count> <pause-before> (on the engine DOCKER_HOST names)");
    return 64;
}

var order = DeployOrder.Read(orderFile);
using var docker = new DockerClient(order.Environment.Docker.Resolve(Environment.GetEnvironmentVariable));
try
{
    // Console.Out flushes every line: whoever reads the pipe sees each step as it happens.
    var result = await ReleaseRunner.DeployAsync(docker, order.ToRequest(Environment.GetEnvironmentVariable), line =>
    {
        Console.WriteLine(line);
        if (order.StallAfter is { } step && line.Contains(step, StringComparison.Ordinal))
            Thread.Sleep(Timeout.Infinite);
    });
    Console.WriteLine($"deployed {result.Release.Version}: {result.FromColour ?? "nothing"} → {result.ToColour}");
    return 0;
}
catch (Exception e) when (e is DeployFailedException or DeployLockedException)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 1;
}
