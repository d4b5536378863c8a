namespace Slipway.Delivery.Tests.Workflows.Simulator;

/// <summary>
/// A point where the test holds a job, as a long step would hold it on GitHub: the first job to reach the step (by job
/// id and step name) waits there, keeping its concurrency group, until the test releases it. Later jobs pass freely.
/// </summary>
internal sealed class StepHold(string job, string step)
{
    private readonly TaskCompletionSource<SimulatedJob> reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int taken;

    /// <summary>Completes with the held job when one reaches the step.</summary>
    public Task<SimulatedJob> Reached => reached.Task;

    public void Release() => released.TrySetResult();

    internal async Task PassAsync(SimulatedJob at, string stepTitle, CancellationToken cancellation)
    {
        if (at.Spec.Id != job || stepTitle != step || Interlocked.Exchange(ref taken, 1) == 1)
            return;
        at.Write("held by the test before this step");
        reached.SetResult(at);
        await released.Task.WaitAsync(cancellation);
        at.Write("released by the test");
    }
}
