using System.Globalization;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using Slipway.Tools.Docker;

namespace Slipway.DeployDriver;

/// <summary>
/// Appends releases 1.0.1 … 1.0.<c>count</c> to an environment's ledger, one record each, on the engine DOCKER_HOST
/// names. Before release <c>pauseBefore</c> it prints "writing N" and waits for a line on stdin, so a test can get
/// ready to cut that write and kill this process in the middle of it.
/// </summary>
public static class LedgerWriter
{
    public static readonly DateTimeOffset FirstStart = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Release <paramref name="number"/> exactly as the writer records it, for tests to compare with what they read back.</summary>
    public static Release Release(int number) =>
        new($"1.0.{number}", ReleaseKind.Deploy, number % 2 == 1 ? Colours.Blue : Colours.Green, "driver@test", FirstStart.AddMinutes(number), FirstStart.AddMinutes(number).AddSeconds(30),
            new Dictionary<string, string> { ["api"] = $"127.0.0.1:5000/slipway-api@sha256:{number.ToString("D64", CultureInfo.InvariantCulture)}" },
            number.ToString(CultureInfo.InvariantCulture), ReleaseOutcome.Succeeded, number == 1 ? null : $"1.0.{number - 1}")
        {
            PreviousStartedAt = number == 1 ? null : FirstStart.AddMinutes(number - 1),
        };

    public static async Task<int> RunAsync(StackNames names, int count, int pauseBefore)
    {
        using var docker = new DockerClient();
        var ledger = await ReleaseLedger.OpenAsync(docker, names).ConfigureAwait(false);
        for (var number = 1; number <= count; number++)
        {
            if (number == pauseBefore)
            {
                Console.WriteLine($"writing {number}");
                await Console.In.ReadLineAsync().ConfigureAwait(false);
            }

            await ledger.RecordAsync(Release(number)).ConfigureAwait(false);
            Console.WriteLine($"recorded {number}");
        }

        return 0;
    }
}
