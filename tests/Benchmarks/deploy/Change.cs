namespace Slipway.Benchmarks.Deploy;

/// <summary>The kinds of change a release manager ships (issue 11), in the order the zero-downtime tests ship them.</summary>
internal enum Change
{
    AppOnly,
    NginxOnly,
    AppAndNginx,
    CrashAtStart,
    FailsSmoke,
    Rollback,
    RollbackAgain,
}

internal static class Changes
{
    public static string Title(this Change change) => change switch
    {
        Change.AppOnly => "App only",
        Change.NginxOnly => "nginx configuration only",
        Change.AppAndNginx => "App and nginx together",
        Change.CrashAtStart => "A release that crashes at start",
        Change.FailsSmoke => "A release that starts but fails smoke",
        Change.Rollback => "Rollback",
        Change.RollbackAgain => "Rollback again",
        _ => throw new ArgumentOutOfRangeException(nameof(change), change, null),
    };

    public static bool IsRollback(this Change change) => change is Change.Rollback or Change.RollbackAgain;

    /// <summary>The goal for our time over the baseline's: a deploy no slower, a rollback at least twice as fast.</summary>
    public static double Goal(this Change change) => change.IsRollback() ? 0.5 : 1.0;
}
