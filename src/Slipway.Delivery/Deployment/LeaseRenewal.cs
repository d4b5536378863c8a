namespace Slipway.Delivery.Deployment;

/// <summary>How a held deploy lock keeps its lease, wherever the lock is kept: renewed every sixth of the lease.</summary>
internal static class LeaseRenewal
{
    /// <summary>
    /// Calls <paramref name="renewOnce"/> every sixth of <paramref name="lease"/>, each call given a third of it, until
    /// <paramref name="stop"/> is cancelled or the call returns false (the lock is no longer ours). A call that fails as
    /// <paramref name="missed"/> says, or runs out of time, is tried again at the next tick: the lease outlasts several.
    /// </summary>
    public static async Task RunAsync(TimeSpan lease, CancellationToken stop, Func<CancellationToken, Task<bool>> renewOnce, Func<Exception, bool> missed)
    {
        await Task.Yield();
        using var ticks = new PeriodicTimer(lease / 6);
        try
        {
            while (await ticks.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stop);
                attempt.CancelAfter(lease / 3);
                try
                {
                    if (!await renewOnce(attempt.Token).ConfigureAwait(false))
                        return;
                }
                catch (Exception e) when (missed(e) || (e is OperationCanceledException && !stop.IsCancellationRequested))
                {
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
