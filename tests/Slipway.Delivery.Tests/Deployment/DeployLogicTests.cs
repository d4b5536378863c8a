using Slipway.Delivery.Deployment;
using Slipway.Delivery.Deployment.SmokeTests;

namespace Slipway.Delivery.Tests.Deployment;

public sealed class DeployLogicTests
{
    private const string Upstream = "# The API's address.\nupstream api {\n    server api:8080;\n    keepalive 32;\n}\n";

    [Fact]
    public void The_upstream_include_is_rewritten_in_place_keeping_everything_else()
    {
        var rewritten = NginxUpstream.Rewrite(Upstream, "slipway-local-api-green:8080");

        Assert.Equal("# The API's address.\nupstream api {\n    server slipway-local-api-green:8080;\n    keepalive 32;\n}\n", rewritten);
        Assert.Equal("slipway-local-api-green:8080", NginxUpstream.ServerOf(rewritten));
        Assert.Equal(Colours.Green, Colours.Of(NginxUpstream.ServerOf(rewritten)));
        Assert.Null(Colours.Of(NginxUpstream.ServerOf(Upstream)));
    }

    [Fact]
    public void Several_servers_become_the_one_live_colour()
    {
        var rewritten = NginxUpstream.Rewrite("upstream api {\n    server a-blue:8080;\n    server a-green:8080 backup;\n}\n", "a-green:8080");
        Assert.Equal("upstream api {\n    server a-green:8080;\n}\n", rewritten);
    }

    [Fact]
    public void An_include_without_a_server_line_cannot_be_switched() =>
        Assert.Throws<DeployFailedException>(() => NginxUpstream.Rewrite("upstream api { }", "x:1"));

    [Fact]
    public void The_nginx_prefix_and_config_arguments_come_from_its_command() =>
        Assert.Equal(["-p", "/etc/nginx/", "-c", "/etc/nginx/nginx.conf"], NginxUpstream.ConfigArguments(["-p", "/etc/nginx/", "-c", "/etc/nginx/nginx.conf", "-g", "daemon off;"]));

    private static Release Release(string version, ReleaseOutcome outcome, int minute, ReleaseKind kind = ReleaseKind.Deploy) =>
        new(version, kind, "blue", "ops@host", new DateTimeOffset(2026, 1, 1, 12, minute, 0, TimeSpan.Zero), null,
            new Dictionary<string, string> { ["api"] = $"r/api@sha256:{version.Replace(".", "", StringComparison.Ordinal)}0000000000000" }, "3", outcome, null);

    [Fact]
    public void Rollback_goes_to_the_newest_earlier_release_that_succeeded_or_to_the_one_asked_for()
    {
        var releases = new[]
        {
            Release("1.0.0", ReleaseOutcome.Succeeded, 1),
            Release("1.1.0", ReleaseOutcome.Succeeded, 2),
            Release("1.2.0", ReleaseOutcome.RolledBack, 3),
            Release("1.3.0", ReleaseOutcome.Succeeded, 4),
        };
        var current = ReleaseLedger.Current(releases);

        Assert.Equal("1.3.0", current?.Version);
        Assert.Equal("1.1.0", ReleaseLedger.RollbackTarget(releases, current, null, "prod").Version);
        Assert.Equal("1.0.0", ReleaseLedger.RollbackTarget(releases, current, "1.0.0", "prod").Version);
        var never = Assert.Throws<DeployFailedException>(() => ReleaseLedger.RollbackTarget(releases, current, "1.2.0", "prod"));
        Assert.Equal("version 1.2.0 never served prod: pick one from ./build.sh Releases --environment prod", never.Message);
        Assert.Throws<DeployFailedException>(() => ReleaseLedger.RollbackTarget(releases[..1], releases[0], null, "prod"));
    }

    [Fact]
    public void The_ledger_table_marks_what_serves_now_newest_first()
    {
        var table = ReleaseLedger.Format([Release("1.0.0", ReleaseOutcome.Succeeded, 1), Release("1.1.0", ReleaseOutcome.RolledBack, 2)]).Split('\n');

        Assert.StartsWith("Version", table[0], StringComparison.Ordinal);
        Assert.StartsWith("  1.1.0  deploy  rolled-back", table[1], StringComparison.Ordinal);
        Assert.StartsWith("* 1.0.0  deploy  succeeded", table[2], StringComparison.Ordinal);
        Assert.Contains("api@100000000000", table[2], StringComparison.Ordinal);
        Assert.Equal("* serving now", table[^1]);
        Assert.Equal("no releases yet", ReleaseLedger.Format([]));
    }

    [Theory]
    [InlineData("{\"status\":\"healthy\",\"version\":\"1.0.0+abc\",\"timestamp\":\"x\"}", "healthy", "1.0.0+abc")]
    [InlineData("{\"status\":\"unhealthy\"}", "unhealthy", null)]
    public void Health_bodies_are_read_for_status_and_version(string body, string status, string? version) =>
        Assert.Equal((status, version), SmokeTester.ReadHealth(body));

    [Fact]
    public void A_lock_held_by_a_live_process_is_not_stale_and_says_how_to_break_it()
    {
        var me = LockHolder.Current() with { Since = new DateTimeOffset(2026, 1, 1, 14, 2, 11, TimeSpan.Zero) };
        var error = new DeployLockedException("prod", me);

        Assert.False(me.IsStale);
        Assert.Equal($"prod is being deployed by {me.Who}@{me.Host} since {me.Since.ToLocalTime():HH:mm:ss} (pid {me.Pid}). Wait, or run ./build.sh Unlock --environment prod if that deploy is dead.", error.Message);
        Assert.False((me with { Host = "another-machine", Pid = 1 }).IsStale);
    }
}
